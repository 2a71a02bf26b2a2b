// Executables hidden inside data deliveries. Block scanning has no `pe`
// module, so these look for the strings every such binary carries.
rule Embedded_Windows_Executable
{
    meta:
        description = "A DOS/PE executable stub inside the delivered data"
    strings:
        $stub1 = "This program cannot be run in DOS mode"
        $stub2 = "This program must be run under Win32"
    condition:
        any of them
}

rule Embedded_ELF_Executable
{
    meta:
        description = "An ELF header followed by a typical section name table"
    strings:
        $elf = { 7F 45 4C 46 (01 | 02) (01 | 02) 01 }
        $shstrtab = ".shstrtab"
        $text = ".text"
    condition:
        $elf and $shstrtab and $text
}
