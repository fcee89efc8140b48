//go:build tray && windows

package ui

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"fyne.io/systray"
	"github.com/fyne-io/image/ico"
)

// runTrayLoop shows the icon in the notification area and runs its
// message loop on this (the main) thread until ctx ends.
func runTrayLoop(ctx context.Context, _ *slog.Logger, ready func()) {
	go func() {
		<-ctx.Done()
		systray.Quit()
	}()
	systray.Run(ready, nil)
}

// trayShown: Windows always has a notification area.
func trayShown() bool { return true }

// osIcon: the notification area takes ICO (the PNG inside, as Fyne does).
func osIcon(p []byte) ([]byte, error) {
	img, err := png.Decode(bytes.NewReader(p))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := ico.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// The toast, as Fyne shows one (app/app_windows.go): PowerShell and the
// Windows.UI.Notifications API.
const toastScript = `$title = "%s"
$content = "%s"
[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] > $null
$template = [Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent([Windows.UI.Notifications.ToastTemplateType]::ToastText02)
$toastXml = [xml] $template.GetXml()
$toastXml.GetElementsByTagName("text")[0].AppendChild($toastXml.CreateTextNode($title)) > $null
$toastXml.GetElementsByTagName("text")[1].AppendChild($toastXml.CreateTextNode($content)) > $null
$xml = New-Object Windows.Data.Xml.Dom.XmlDocument
$xml.LoadXml($toastXml.OuterXml)
$toast = [Windows.UI.Notifications.ToastNotification]::new($xml)
[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier("de.labelagent.tray").Show($toast);`

// desktopNotifier shows notices as Windows toasts, one after another.
func desktopNotifier(log *slog.Logger) func(Notice) { return queuedNotifier(log, toast) }

func toast(n Notice) error {
	esc := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "`", "``"), `"`, "`\"") }
	f, err := os.CreateTemp("", "labelagent-notify-*.ps1")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = fmt.Fprintf(f, toastScript, esc(n.Title), esc(n.Body))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	cmd := exec.Command("PowerShell", "-ExecutionPolicy", "Bypass", "(Get-Content -Encoding UTF8 -Path "+filepath.Clean(f.Name())+" -Raw) | Invoke-Expression")
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true}
	return cmd.Run()
}

// openBrowser opens url in the user's default browser, as Explorer does.
func openBrowser(url string) error {
	return startDetached("rundll32", "url.dll,FileProtocolHandler", url)
}
