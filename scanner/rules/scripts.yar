// Script payloads that have no place in a statistical data delivery.
rule PowerShell_Encoded_Download_Cradle
{
    meta:
        description = "PowerShell launched with an encoded command or a web download cradle"
    strings:
        $enc = /powershell(\.exe)?\s+(-\w+\s+(\w+\s+)?)*-e(nc|ncodedcommand)?\s+[A-Za-z0-9+\/=]{40,}/ nocase
        $cradle1 = /IEX\s*\(\s*(New-Object\s+Net\.WebClient|\[Net\.WebClient\]::new\(\))\.DownloadString\(/ nocase
        $cradle2 = /Invoke-Expression\s*\(\s*\(?\s*New-Object\s+(System\.)?Net\.WebClient/ nocase
    condition:
        any of them
}

rule PHP_Webshell_Eval
{
    meta:
        description = "PHP that evaluates decoded or request-supplied code"
    strings:
        $eval = /<\?php.{0,200}(eval|assert|system|passthru|shell_exec)\s*\(\s*(base64_decode|gzinflate|str_rot13|\$_(GET|POST|REQUEST|COOKIE))/ nocase
    condition:
        $eval
}
