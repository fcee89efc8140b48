; labelagent's Windows installer (NSIS 3, built by `make dist` with makensis on
; Linux from cross-compiled binaries).
;   makensis -DVERSION=1.2.0 -DBINDIR=dist/windows-amd64 -DOUTFILE=dist/labelagent-setup.exe labelagent.nsi
; BINDIR holds labelagent.exe (the service, pure Go) and, when the tray was
; built, labelagent-tray.exe (-DWITH_TRAY).
;
; Installs into Program Files, registers and starts the service (automatic
; start, restart on failure, Event Log source) through `labelagent service
; install`, which also writes the commented default configuration to
; %ProgramData%\labelagent\config.yaml on the first install. The data folder
; is readable only by LocalSystem (the service), Administrators and the local
; group "labelagent" (the operators; the installing user is added).
; ($APPDATA is %ProgramData% after SetShellVarContext all.)
; Silent install: labelagent-setup.exe /S. Silent uninstall keeps the data
; unless /REMOVEDATA is given.

Unicode true
!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "x64.nsh"

!ifndef VERSION
  !define VERSION "0.0.0"
!endif
!ifndef BINDIR
  !define BINDIR "."
!endif
!ifndef OUTFILE
  !define OUTFILE "labelagent-setup.exe"
!endif

!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\labelagent"
!define RUNKEY "Software\Microsoft\Windows\CurrentVersion\Run"

Name "labelagent ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\labelagent"
InstallDirRegKey HKLM "${UNINSTKEY}" "InstallLocation"
RequestExecutionLevel admin
!ifdef NOCOMPRESS
  SetCompress off ; for the test that checks the script builds
!else
  SetCompressor /SOLID lzma
!endif
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=1033 "ProductName" "labelagent"
VIAddVersionKey /LANG=1033 "FileDescription" "labelagent installer"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "labelagent"

!define MUI_ABORTWARNING
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "German"

LangString MsgNeed64 ${LANG_ENGLISH} "labelagent needs 64-bit Windows."
LangString MsgNeed64 ${LANG_GERMAN} "labelagent benötigt ein 64-Bit-Windows."
LangString MsgServiceFailed ${LANG_ENGLISH} "The labelagent service could not be registered or started. Run $\"labelagent doctor$\" in an administrator command prompt for the reason."
LangString MsgServiceFailed ${LANG_GERMAN} "Der Dienst labelagent konnte nicht eingerichtet oder gestartet werden. Den Grund nennt $\"labelagent doctor$\" in einer Eingabeaufforderung als Administrator."
LangString MsgRemoveData ${LANG_ENGLISH} "Also remove the configuration and all data (job store, API key, backup copies, logs) in $APPDATA\labelagent?$\r$\n$\r$\nChoose No to keep them for a later installation."
LangString MsgRemoveData ${LANG_GERMAN} "Auch die Konfiguration und alle Daten (Auftragsdatenbank, API-Schlüssel, Sicherungen, Protokolle) in $APPDATA\labelagent entfernen?$\r$\n$\r$\nMit Nein bleiben sie für eine spätere Installation erhalten."

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "$(MsgNeed64)"
    Abort
  ${EndIf}
  SetRegView 64
  SetShellVarContext all
FunctionEnd

Section "labelagent" SecMain
  SectionIn RO
  ; An upgrade: stop and unregister the old service first (data stays).
  IfFileExists "$INSTDIR\labelagent.exe" 0 +3
    nsExec::ExecToLog '"$INSTDIR\labelagent.exe" service stop'
    nsExec::ExecToLog '"$INSTDIR\labelagent.exe" service uninstall'

  SetOutPath "$INSTDIR"
  File "${BINDIR}\labelagent.exe"
!ifdef WITH_TRAY
  File "${BINDIR}\labelagent-tray.exe"
!endif
  WriteUninstaller "$INSTDIR\uninstall.exe"

  ; The operators' group may read the API key; the installing user is one.
  nsExec::ExecToLog 'net localgroup labelagent /add /comment:"labelagent operators (may use the label agent)"'
  nsExec::ExecToLog 'cmd /c net localgroup labelagent "%USERDOMAIN%\%USERNAME%" /add'

  ; Data folder: LocalSystem and Administrators full, operators read.
  CreateDirectory "$APPDATA\labelagent\data"
  nsExec::ExecToLog 'icacls "$APPDATA\labelagent" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F labelagent:(OI)(CI)RX'

  ; Register (writes the default configuration when none exists) and start.
  nsExec::ExecToLog '"$INSTDIR\labelagent.exe" service install'
  Pop $0
  nsExec::ExecToLog '"$INSTDIR\labelagent.exe" service start'
  Pop $1
  ${If} $0 != 0
  ${OrIf} $1 != 0
    MessageBox MB_ICONEXCLAMATION "$(MsgServiceFailed)" /SD IDOK
  ${EndIf}

!ifdef WITH_TRAY
  ; The tray starts in every user's session.
  WriteRegStr HKLM "${RUNKEY}" "labelagent-tray" '"$INSTDIR\labelagent-tray.exe" tray'
!endif

  ; Apps & features.
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayName" "labelagent"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "Publisher" "labelagent"
  WriteRegStr HKLM "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\labelagent.exe"
  WriteRegStr HKLM "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $2 $3 $4
  IntFmt $2 "0x%08X" $2
  WriteRegDWORD HKLM "${UNINSTKEY}" "EstimatedSize" "$2"
SectionEnd

Function un.onInit
  SetRegView 64
  SetShellVarContext all
FunctionEnd

Section "Uninstall"
  nsExec::ExecToLog '"$INSTDIR\labelagent.exe" service stop'
  nsExec::ExecToLog '"$INSTDIR\labelagent.exe" service uninstall'
  DeleteRegValue HKLM "${RUNKEY}" "labelagent-tray"
  ; A running tray holds its file: ask it to end.
  nsExec::ExecToLog 'taskkill /IM labelagent-tray.exe /F'
  Delete "$INSTDIR\labelagent.exe"
  Delete "$INSTDIR\labelagent-tray.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "${UNINSTKEY}"

  ; Keep or remove the data, as the user chooses (silent: keep, unless /REMOVEDATA).
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/REMOVEDATA" $R1
  IfErrors 0 remove
  MessageBox MB_YESNO|MB_ICONQUESTION "$(MsgRemoveData)" /SD IDNO IDYES remove
  Goto done
remove:
  RMDir /r "$APPDATA\labelagent"
  nsExec::ExecToLog 'net localgroup labelagent /delete'
done:
SectionEnd
