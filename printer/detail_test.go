package printer_test

import (
	"strings"
	"testing"

	"github.com/labelagent/labelagent/printer"
)

// TestDetailsSayThemselves: every detail code has English words that
// render with its arguments, and a status says them in Detail.
func TestDetailsSayThemselves(t *testing.T) {
	for _, c := range printer.DetailCodes() {
		s := printer.Say(c, "reason", "R", "folder", "F", "baud", 9600, "count", 2, "status", "S", "queue", "Q", "alert", "A")
		if got := s.String(); got == string(c) || got == "" || strings.Contains(got, "{{") || strings.Contains(got, "<no value>") {
			t.Errorf("%s says %q", c, got)
		}
	}
	st := printer.Status{}.Saying(printer.Say(printer.DetailSerialNoAnswer, "baud", 9600), printer.Say(printer.DetailSpoolJobs, "count", 1))
	if want := "no answer to ~HS at 9600 baud: printer off, cable out, or line settings differ; 1 job in the Windows queue"; st.Detail != want || len(st.Said) != 2 {
		t.Errorf("detail %q, want %q", st.Detail, want)
	}
}
