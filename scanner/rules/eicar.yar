// The EICAR anti-malware test file. Only a distinctive part of it is
// written here, so this rule file is not itself detected as EICAR.
rule EICAR_Test_File
{
    meta:
        description = "EICAR standard anti-virus test file"
        reference = "https://www.eicar.org/download-anti-malware-testfile/"
    strings:
        $body = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!"
    condition:
        $body
}
