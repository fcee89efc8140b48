//go:build tray

package ui

import (
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
)

// menuTexts lists a menu's item labels (separators as "---").
func menuTexts(m *fyne.Menu) []string {
	var out []string
	for _, it := range m.Items {
		if it.IsSeparator {
			out = append(out, "---")
			continue
		}
		out = append(out, it.Label)
	}
	return out
}

// TestTrayMenuScreenshot builds the tray's menu from a model fed by the
// control API (the same fyne.Menu the system tray gets), checks what it
// says, and draws it with Fyne's test driver (software painter, default
// theme) into docs/screenshots/tray-menu.png when UPDATE_SCREENSHOTS=1:
// Xvfb has no StatusNotifierItem host to open the real one, so the
// picture is Fyne's own rendering of the menu, not the desktop's.
func TestTrayMenuScreenshot(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()
	a.Settings().SetTheme(theme.DefaultTheme())
	f := newFakeAgent(t, "")
	f.jobs = []apitype.Job{
		{ID: "3", Name: "ORD-1003", State: apitype.StatePrinting, Printer: "desk", Created: readAt.Add(2e9), Updated: readAt.Add(2e9)},
		{ID: "2", Name: "ORD-1002", State: apitype.StateDone, Printer: "desk", Created: readAt.Add(1e9), Updated: readAt.Add(1e9)},
		{ID: "1", Name: "ORD-1001", State: apitype.StateDone, Printer: "desk", Created: readAt, Updated: readAt},
	}
	f.printers = []apitype.Printer{
		{Name: "desk", Status: printer.Status{State: printer.StateReady}},
		{Name: "office", Status: printer.Status{State: printer.StatePaperOut}},
	}
	f.balance = &apitype.StampBalance{Cents: 4295, At: readAt}
	f.station = &apitype.StationList{Connected: true, Server: "nats://lager-1:4222"}
	m, _ := runModel(t, Options{Addr: f.addr(), Lang: i18n.German})
	waitFor(t, "the state from the agent", func() bool {
		st := m.State()
		return st.Balance.Known && len(st.Jobs) == 3 && len(st.Printers) == 2 && st.Station != nil
	})
	menu := newTestTray(t, m).trayMenu(m.State())
	got := strings.Join(menuTexts(menu), "\n")
	for _, want := range []string{
		"Bitte nachsehen", // the office printer is out of paper
		"Portokasse: 42,95 € (Stand 24.11.2026 14:05)",
		"Lager (NATS): verbunden mit nats://lager-1:4222",
		"ORD-1003 – wird gedruckt auf desk",
		"ORD-1001 – gedruckt auf desk",
		"office: kein Papier",
		"labelagent öffnen",
		"Tray beenden",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the tray menu lacks %q:\n%s", want, got)
		}
	}
	var printerItem *fyne.MenuItem
	for _, it := range menu.Items {
		if strings.HasPrefix(it.Label, "desk") {
			printerItem = it
		}
	}
	if printerItem == nil || printerItem.ChildMenu == nil {
		t.Fatalf("the printer desk has no submenu:\n%s", got)
	}
	sub := strings.Join(menuTexts(printerItem.ChildMenu), "\n")
	if !strings.Contains(sub, "anhalten") || !strings.Contains(sub, "Testetikett") {
		t.Errorf("the printer's submenu: %s", sub)
	}

	// Draw the menu and the printer's submenu beside it, as a desktop
	// opens it on hover.
	capture := func(m *fyne.Menu) image.Image {
		var img image.Image
		do(func() {
			wm := widget.NewMenu(m)
			tw := test.NewWindow(wm)
			defer tw.Close()
			tw.SetPadded(false)
			tw.Resize(wm.MinSize())
			img = tw.Canvas().Capture()
		})
		return img
	}
	main, child := capture(menu), capture(printerItem.ChildMenu)
	y := 0
	for i, it := range menu.Items {
		if it == printerItem {
			y = main.Bounds().Dy() * i / len(menu.Items)
		}
	}
	out := image.NewRGBA(image.Rect(0, 0, main.Bounds().Dx()+child.Bounds().Dx(), max(main.Bounds().Dy(), y+child.Bounds().Dy())))
	draw.Draw(out, main.Bounds(), main, image.Point{}, draw.Src)
	draw.Draw(out, child.Bounds().Add(image.Pt(main.Bounds().Dx(), y)), child, image.Point{}, draw.Src)
	if n := distinctColours(out); n < 3 {
		t.Fatalf("the menu drew blank (%d colours)", n)
	}
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		fh, err := os.Create(filepath.Join("..", "docs", "screenshots", "tray-menu.png"))
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		if err := png.Encode(fh, out); err != nil {
			t.Fatal(err)
		}
	}
}

// distinctColours counts the colours of img, sampled every 7 pixels: a
// blank capture has one or two.
func distinctColours(img image.Image) int {
	seen := map[uint32]bool{}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 7 {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 7 {
			r, g, b, _ := img.At(x, y).RGBA()
			seen[r>>8<<16|g>>8<<8|b>>8] = true
		}
	}
	return len(seen)
}
