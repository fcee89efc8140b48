package zplstatus

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/printer"
)

// A reply captured from a ZD420 with the head open and paper out.
const zd420HeadOpen = "\x02030,1,1,1234,000,0,0,0,000,0,0,0\x03\r\n" +
	"\x02001,0,1,0,0,2,6,0,00000000,1,000\x03\r\n" +
	"\x021234,0\x03\r\n"

func TestParseHSRealReply(t *testing.T) {
	hs, err := ParseHS([]byte(zd420HeadOpen))
	if err != nil {
		t.Fatal(err)
	}
	want := HostStatus{CommSettings: 30, PaperOut: true, Paused: true, LabelLength: 1234,
		FunctionSettings: 1, HeadOpen: true, PrintMode: '2', PrintWidthMode: 6,
		FormatWhilePrint: true, Password: "1234"}
	if !reflect.DeepEqual(hs, want) {
		t.Fatalf("got %+v\nwant %+v", hs, want)
	}
	st := hs.Status(time.Unix(0, 0))
	if st.State != printer.StateHeadOpen || st.CanPrint() {
		t.Fatalf("state %s", st.State)
	}
	if !reflect.DeepEqual(st.Problems, []printer.State{printer.StateHeadOpen, printer.StatePaperOut, printer.StatePaused}) {
		t.Fatalf("problems %v", st.Problems)
	}
	if st.Detail != "printhead open; paper out; paused" {
		t.Fatalf("detail %q", st.Detail)
	}
}

// Every flag of ~HS: set it alone, encode, parse, and check the field, the
// state and the words an operator reads.
func TestHSEveryFlag(t *testing.T) {
	tests := []struct {
		name     string
		set      func(*HostStatus)
		state    printer.State
		detail   string
		canPrint bool
	}{
		{"ready", func(*HostStatus) {}, printer.StateReady, "ready", true},
		{"paper out", func(h *HostStatus) { h.PaperOut = true }, printer.StatePaperOut, "paper out", false},
		{"pause", func(h *HostStatus) { h.Paused = true }, printer.StatePaused, "paused", false},
		{"head open", func(h *HostStatus) { h.HeadOpen = true }, printer.StateHeadOpen, "printhead open", false},
		{"ribbon out", func(h *HostStatus) { h.RibbonOut = true }, printer.StateRibbonOut, "ribbon out", false},
		{"buffer full", func(h *HostStatus) { h.BufferFull = true }, printer.StateBufferFull, "receive buffer full", false},
		{"over temperature", func(h *HostStatus) { h.OverTemp = true }, printer.StateOffline, "printhead too hot", false},
		{"under temperature", func(h *HostStatus) { h.UnderTemp = true }, printer.StateReady, "ready; printhead too cold (prints may be faint)", true},
		{"corrupt RAM", func(h *HostStatus) { h.CorruptRAM = true }, printer.StateReady, "ready; configuration lost (corrupt RAM), check the printer settings", true},
		{"diagnostics mode", func(h *HostStatus) { h.CommDiagMode = true }, printer.StateReady, "ready; in communications diagnostics mode (prints what it receives as hex)", true},
		{"partial format", func(h *HostStatus) { h.PartialFormat = true }, printer.StateReady, "ready; receiving a label", true},
		{"label waiting", func(h *HostStatus) { h.LabelWaiting = true }, printer.StateReady, "ready; a label waits to be taken", true},
		{"formats in buffer", func(h *HostStatus) { h.FormatsInBuffer = 3 }, printer.StateReady, "ready; 3 label formats waiting in the printer", true},
		{"one format in buffer", func(h *HostStatus) { h.FormatsInBuffer = 1 }, printer.StateReady, "ready; 1 label format waiting in the printer", true},
		{"labels remaining", func(h *HostStatus) { h.LabelsRemaining = 12 }, printer.StateReady, "ready; 12 labels still to print", true},
		{"thermal transfer", func(h *HostStatus) { h.ThermalTransfer = true }, printer.StateReady, "ready", true},
		{"static RAM", func(h *HostStatus) { h.StaticRAM = true }, printer.StateReady, "ready", true},
		{"paper and ribbon out while paused", func(h *HostStatus) { h.PaperOut, h.RibbonOut, h.Paused = true, true, true },
			printer.StatePaperOut, "paper out; ribbon out; paused", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := HostStatus{CommSettings: 94, LabelLength: 1218, PrintMode: '2', Password: "1234", FormatWhilePrint: true}
			tt.set(&in)
			got, err := ParseHS(in.Bytes())
			if err != nil {
				t.Fatalf("parse %q: %v", in.Bytes(), err)
			}
			if !reflect.DeepEqual(got, in) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, in)
			}
			st := got.Status(time.Unix(1, 0))
			if st.State != tt.state || st.Detail != tt.detail || st.CanPrint() != tt.canPrint {
				t.Fatalf("status = %s %q canPrint=%v, want %s %q %v", st.State, st.Detail, st.CanPrint(), tt.state, tt.detail, tt.canPrint)
			}
			if !st.Checked.Equal(time.Unix(1, 0)) {
				t.Fatalf("checked %v", st.Checked)
			}
		})
	}
}

func TestParseHSErrors(t *testing.T) {
	good := HostStatus{PrintMode: '2'}.Bytes()
	tests := []struct{ name, in, want string }{
		{"empty", "", "0 of 3"},
		{"two frames", "\x02030,0,0,1234,000,0,0,0,000,0,0,0\x03\x02001,0,0,0,0,2,6,0,00000000,1,000\x03", "2 of 3"},
		{"short string 1", "\x02030,0,0\x03\x02001,0,0,0,0,2,6,0,00000000,1,000\x03\x021234,0\x03", "string 1 has 3 fields"},
		{"short string 2", "\x02030,0,0,1234,000,0,0,0,000,0,0,0\x03\x02001\x03\x021234,0\x03", "string 2 has 1 fields"},
		{"long string 3", "\x02030,0,0,1234,000,0,0,0,000,0,0,0\x03\x02001,0,0,0,0,2,6,0,00000000,1,000\x03\x021234,0,9\x03", "string 3 has 3"},
		{"flag not 0/1", strings.Replace(string(good), ",0,0,0000,", ",7,0,0000,", 1), "paper out"},
		{"number not a number", strings.Replace(string(good), "000,0,0,0,000", "0x0,0,0,0,000", 1), "formats in buffer"},
		{"print mode two chars", strings.Replace(string(good), ",2,0,0,", ",22,0,0,", 1), "print mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseHS([]byte(tt.in))
			if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrMalformed mentioning %q", err, tt.want)
			}
		})
	}
}

func TestHSComplete(t *testing.T) {
	full := HostStatus{}.Bytes()
	for i := 0; i < len(full); i++ {
		if _, ok := HSComplete(full[:i]); ok && i < len(full)-2 {
			t.Fatalf("complete after %d of %d bytes", i, len(full))
		}
	}
	noise := append([]byte("junk"), full...)
	n, ok := HSComplete(noise)
	if !ok || n != len(noise)-2 { // the final CR LF is not needed
		t.Fatalf("n=%d ok=%v", n, ok)
	}
}

func TestHQESEveryFlag(t *testing.T) {
	tests := []struct {
		name   string
		es     ExtendedStatus
		state  printer.State
		detail string
	}{
		{"no error", ExtendedStatus{}, printer.StateReady, "ready"},
		{"media out", ExtendedStatus{Errors: ErrMediaOut}, printer.StatePaperOut, "paper out"},
		{"ribbon out", ExtendedStatus{Errors: ErrRibbonOut}, printer.StateRibbonOut, "ribbon out"},
		{"head open", ExtendedStatus{Errors: ErrHeadOpen}, printer.StateHeadOpen, "printhead open"},
		{"cutter", ExtendedStatus{Errors: ErrCutterFault}, printer.StateOffline, "cutter fault"},
		{"head over temp", ExtendedStatus{Errors: ErrHeadOverTemp}, printer.StateOffline, "printhead too hot"},
		{"motor over temp", ExtendedStatus{Errors: ErrMotorOverTemp}, printer.StateOffline, "motor too hot"},
		{"bad element", ExtendedStatus{Errors: ErrBadHeadElement}, printer.StateOffline, "bad printhead element"},
		{"head detection", ExtendedStatus{Errors: ErrHeadDetection}, printer.StateOffline, "printhead not detected"},
		{"firmware", ExtendedStatus{Errors: ErrInvalidFirmwareConfig}, printer.StateOffline, "invalid firmware configuration"},
		{"thermistor", ExtendedStatus{Errors: ErrHeadThermistorOpen}, printer.StateOffline, "printhead thermistor open"},
		{"jam", ExtendedStatus{Errors: ErrPaperJamRetract}, printer.StateOffline, "paper jam during retract"},
		{"presenter", ExtendedStatus{Errors: ErrPresenterNotRunning}, printer.StateOffline, "presenter not running"},
		{"feed", ExtendedStatus{Errors: ErrPaperFeed}, printer.StateOffline, "paper feed error"},
		{"paper path", ExtendedStatus{Errors: ErrClearPaperPath}, printer.StateOffline, "clearing the paper path failed"},
		{"paused", ExtendedStatus{Errors: ErrPaused}, printer.StatePaused, "paused"},
		{"retract timeout", ExtendedStatus{Errors: ErrRetractTimeout}, printer.StateOffline, "retract timed out"},
		{"mark calibrate", ExtendedStatus{Errors: ErrMarkCalibrate}, printer.StateOffline, "black mark calibration error"},
		{"mark not found", ExtendedStatus{Errors: ErrMarkNotFound}, printer.StateOffline, "black mark not found"},
		{"unlisted group 2 bit", ExtendedStatus{Errors: 1 << 40}, printer.StateOffline, "printer error 0x10000000000 (1 unlisted flags)"},
		{"media out and head open", ExtendedStatus{Errors: ErrMediaOut | ErrHeadOpen}, printer.StateHeadOpen, "printhead open; paper out"},
		{"warning paper near end", ExtendedStatus{Warnings: WarnPaperNearEnd}, printer.StateReady, "ready; paper almost out"},
		{"warning clean head", ExtendedStatus{Warnings: WarnCleanHead}, printer.StateReady, "ready; printhead needs cleaning"},
		{"warning replace head", ExtendedStatus{Warnings: WarnReplaceHead}, printer.StateReady, "ready; printhead needs replacing"},
		{"warning calibrate", ExtendedStatus{Warnings: WarnCalibrateMedia}, printer.StateReady, "ready; media needs calibrating"},
		{"all warnings", ExtendedStatus{Warnings: 0xfff}, printer.StateReady, "ready; paper almost out; media needs calibrating; printhead needs cleaning; printhead needs replacing; paper before head sensor; black mark sensor; paper after head sensor; loop ready; presenter; retract ready; in retract; label at bin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHQES(tt.es.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.es {
				t.Fatalf("round trip %+v, want %+v", got, tt.es)
			}
			st := got.Status(time.Unix(0, 0))
			if st.State != tt.state || st.Detail != tt.detail {
				t.Fatalf("status %s %q, want %s %q", st.State, st.Detail, tt.state, tt.detail)
			}
		})
	}
}

func TestParseHQESRealReply(t *testing.T) {
	in := "\x02\r\nPRINTER STATUS\r\n   ERRORS:         1 00000000 00000005\r\n   WARNINGS:       1 00000000 00000002\r\n\x03\r\n"
	es, err := ParseHQES([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if es.Errors != ErrMediaOut|ErrHeadOpen || es.Warnings != WarnCleanHead {
		t.Fatalf("%+v", es)
	}
	if n, ok := HQESComplete([]byte(in)); !ok || n != len(in)-2 {
		t.Fatalf("HQESComplete = %d %v", n, ok)
	}
}

func TestParseHQESErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"\x02PRINTER STATUS\x03",
		"\x02ERRORS: 1 00000000 00000005\x03", // no WARNINGS
		"\x02ERRORS: 1 00000000\r\nWARNINGS: 0 00000000 00000000\x03",           // two groups
		"\x02ERRORS: 2 00000000 00000005\r\nWARNINGS: 0 00000000 00000000\x03",  // bad present flag
		"\x02ERRORS: 1 0000000G 00000005\r\nWARNINGS: 0 00000000 00000000\x03",  // not hex
		"\x02ERRORS: 1 00000000 000000005\r\nWARNINGS: 0 00000000 00000000\x03", // too long
		"\x02ERRORS: 1 00000000 00000005\r\nWARNINGS: 0 00000000 -0000001\x03",  // sign
	} {
		if _, err := ParseHQES([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err = %v", in, err)
		}
	}
}

func TestMerge(t *testing.T) {
	hs := HostStatus{Paused: true, LabelsRemaining: 2}
	es := ExtendedStatus{Errors: ErrMediaOut | ErrPaused, Warnings: WarnCleanHead}
	st := Merge(time.Unix(0, 0), hs, &es)
	if st.State != printer.StatePaperOut {
		t.Fatalf("state %s", st.State)
	}
	if !reflect.DeepEqual(st.Problems, []printer.State{printer.StatePaperOut, printer.StatePaused}) {
		t.Fatalf("problems %v", st.Problems)
	}
	if st.Detail != "paper out; paused; printhead needs cleaning; 2 labels still to print" {
		t.Fatalf("detail %q", st.Detail)
	}
	if got := Merge(time.Unix(0, 0), HostStatus{}, nil); got.State != printer.StateReady || got.Detail != "ready" {
		t.Fatalf("%+v", got)
	}
}

func FuzzParseHS(f *testing.F) {
	f.Add([]byte(zd420HeadOpen))
	f.Add(HostStatus{PaperOut: true, LabelsRemaining: 99999999}.Bytes())
	f.Add([]byte("\x02\x03\x02\x03\x02\x03"))
	f.Fuzz(func(t *testing.T, b []byte) {
		hs, err := ParseHS(b)
		if err != nil {
			return
		}
		st := hs.Status(time.Time{})
		if st.State == "" || st.Detail == "" {
			t.Fatalf("empty status from %q", b)
		}
		again, err := ParseHS(hs.Bytes())
		if err != nil {
			t.Fatalf("re-encoded reply does not parse: %v", err)
		}
		if hs.PrintMode != 0 && hs.Password != "" && !strings.ContainsAny(hs.Password, ",\x02\x03") && !reflect.DeepEqual(again, hs) {
			t.Fatalf("round trip %+v != %+v", again, hs)
		}
	})
}

func FuzzParseHQES(f *testing.F) {
	f.Add(ExtendedStatus{Errors: ErrHeadOpen, Warnings: WarnAtBin}.Bytes())
	f.Add([]byte("\x02ERRORS: 1 FFFFFFFF FFFFFFFF\nWARNINGS: 0 0 0\x03"))
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := ParseHQES(b)
		if err != nil {
			return
		}
		if again, err := ParseHQES(es.Bytes()); err != nil || again != es {
			t.Fatalf("round trip %+v -> %+v, %v", es, again, err)
		}
		_ = es.Status(time.Time{})
	})
}
