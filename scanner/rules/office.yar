// Office documents whose VBA macros run on open.
rule Office_AutoExec_Macro
{
    meta:
        description = "A VBA project with an auto-executing entry point"
    strings:
        $vba1 = "vbaProject.bin" nocase
        $vba2 = "Attribute VB_Name" nocase
        $auto1 = "AutoOpen" nocase
        $auto2 = "Auto_Open" nocase
        $auto3 = "Document_Open" nocase
        $auto4 = "Workbook_Open" nocase
    condition:
        any of ($vba*) and any of ($auto*)
}
