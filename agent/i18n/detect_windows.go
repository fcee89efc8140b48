//go:build windows

package i18n

import (
	"fmt"

	"golang.org/x/sys/windows"
)

var procGetUserDefaultUILanguage = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetUserDefaultUILanguage")

// systemLanguages returns the Windows user's preferred UI languages (locale
// names), or the user's default UI language as a LANGID in hex when the
// list cannot be had. FromSystem reads either.
func systemLanguages() []string {
	if langs, err := windows.GetUserPreferredUILanguages(windows.MUI_LANGUAGE_NAME); err == nil && len(langs) > 0 {
		return langs
	}
	if procGetUserDefaultUILanguage.Find() != nil {
		return nil
	}
	id, _, _ := procGetUserDefaultUILanguage.Call()
	if id == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%04x", uint16(id))}
}
