package spool

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/printer"
)

const idle = `printer zebra is idle.  enabled since Sat 21 Nov 2026 10:00:00 AM UTC
	Form mounted:
	Content types: any
	Description: Zebra ZD420
	Alerts: none
	Connection: direct
	Users allowed:
		(all)
	Banner required
zebra accepting requests since Sat 21 Nov 2026 10:00:00 AM UTC
`

const stopped = `printer zebra disabled since Sat 21 Nov 2026 10:00:00 AM UTC -
	Paused
	Form mounted:
	Alerts: media-empty-error cover-open-report
	Users allowed:
		(all)
zebra not accepting requests since Sat 21 Nov 2026 10:00:00 AM UTC -
	Rejecting Jobs
`

func TestParseLpstat(t *testing.T) {
	tests := []struct {
		name     string
		out      string
		state    printer.State
		problems []printer.State
		detail   string
		err      bool
	}{
		{"idle", idle, printer.StateReady, nil, "CUPS queue idle", false},
		{"printing", strings.Replace(idle, "is idle.", "now printing zebra-12.", 1), printer.StateReady, nil, "CUPS queue printing", false},
		{"stopped, paper out, cover open, rejecting", stopped, printer.StateHeadOpen,
			[]printer.State{printer.StateHeadOpen, printer.StatePaperOut, printer.StateOffline, printer.StatePaused},
			"CUPS queue stopped (cupsenable zebra starts it); reason: Paused; paper out; cover open; CUPS queue rejects jobs (cupsaccept zebra)", false},
		{"offline alert", strings.Replace(idle, "Alerts: none", "Alerts: offline-report", 1), printer.StateOffline,
			[]printer.State{printer.StateOffline}, "CUPS queue idle; printer offline (offline-report)", false},
		{"ribbon", strings.Replace(idle, "Alerts: none", "Alerts: marker-supply-empty-error media-low-warning", 1), printer.StateRibbonOut,
			[]printer.State{printer.StateRibbonOut}, "CUPS queue idle; ribbon out; paper almost out", false},
		{"unknown alert kept in words", strings.Replace(idle, "Alerts: none", "Alerts: spool-area-full", 1), printer.StateReady,
			nil, "CUPS queue idle; spool-area-full", false},
		{"other queue only", strings.ReplaceAll(idle, "zebra", "office"), "", nil, "", true},
		{"empty", "", "", nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := ParseLpstat("zebra", tt.out, time.Unix(0, 0))
			if (err != nil) != tt.err {
				t.Fatalf("err = %v", err)
			}
			if tt.err {
				return
			}
			if st.State != tt.state || !reflect.DeepEqual(st.Problems, tt.problems) || st.Detail != tt.detail {
				t.Fatalf("got %s %v %q\nwant %s %v %q", st.State, st.Problems, st.Detail, tt.state, tt.problems, tt.detail)
			}
			// Every note is a code the agent words for its reader.
			if n := strings.Count(tt.detail, "; ") + 1; len(st.Said) != n {
				t.Errorf("said %v, want %d codes for %q", st.Said, n, tt.detail)
			}
		})
	}
}

func TestParseQueues(t *testing.T) {
	out := "printer office is idle.  enabled since x\nprinter zebra disabled since y -\n\tPaused\nprinter tsc now printing tsc-3.  enabled since z\nsystem default destination: zebra\n"
	got := ParseQueues(out)
	want := []Queue{{"office", "idle", false}, {"zebra", "stopped", true}, {"tsc", "printing", false}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%+v", got)
	}
	if s := want[1].Snippet("label-1"); !strings.Contains(s, "transport: spool") || !strings.Contains(s, `queue: "zebra"`) {
		t.Fatal(s)
	}
}

func FuzzParseLpstat(f *testing.F) {
	f.Add(idle)
	f.Add(stopped)
	f.Fuzz(func(t *testing.T, out string) {
		st, err := ParseLpstat("zebra", out, time.Time{})
		if err == nil && st.State == "" {
			t.Fatal("no state")
		}
		_ = ParseQueues(out)
	})
}
