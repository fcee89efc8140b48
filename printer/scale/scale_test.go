package scale

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		line    string
		grams   int
		stable  bool
		flagged bool
		err     error
	}{
		{"S S      1.234 kg", 1234, true, true, nil},
		{"S D      0.998 kg", 998, false, true, nil},
		{"S +", 0, false, true, ErrOverload},
		{"ST,GS,+001.234 kg", 1234, true, true, nil},
		{"US,NT,+  0.500kg", 500, false, true, nil},
		{"OL,GS,+9999.99kg", 0, false, true, ErrOverload},
		{"   1.234 kg", 1234, false, false, nil},
		{"1,5kg", 1500, false, false, nil},
		{"+0001234 g", 1234, false, false, nil},
		{"\x02  2.50 lb\x03", 1134, false, false, nil},
		{"8 oz", 227, false, false, nil},
		{"ES", 0, false, false, ErrNoWeight},
		{"", 0, false, false, ErrNoWeight},
		{"S S  -0.002 kg", -2, true, true, nil},
	} {
		r, err := Parse(tc.line)
		if err != tc.err || (err == nil && (r.Grams != tc.grams || r.Stable != tc.stable || r.Flagged != tc.flagged)) {
			t.Errorf("%q: %+v %v; want %d stable=%v flagged=%v %v", tc.line, r, err, tc.grams, tc.stable, tc.flagged, tc.err)
		}
	}
}

func TestReaderStability(t *testing.T) {
	r := NewReader(Config{}, nil)
	for _, l := range []string{"1.200 kg", "1.250 kg", "1.250 kg"} {
		r.Feed(l)
	}
	if _, err := r.Weight(); err == nil {
		t.Fatal("two equal unflagged readings counted as stable")
	}
	r.Feed("1.250 kg")
	w, err := r.Weight()
	if err != nil || w.Grams != 1250 {
		t.Fatalf("%+v %v", w, err)
	}
	r.Feed("S D 1.300 kg")
	if _, err := r.Weight(); err == nil {
		t.Fatal("a moving reading was used")
	}
	r.Feed("OL,GS,+9999.99kg")
	if _, err := r.Weight(); err == nil || !strings.Contains(err.Error(), "overloaded") {
		t.Fatalf("overload: %v", err)
	}
	now := time.Now()
	r.now = func() time.Time { return now }
	r.Feed("S S 2.000 kg")
	r.now = func() time.Time { return now.Add(10 * time.Second) }
	if _, err := r.Weight(); err == nil || !strings.Contains(err.Error(), "old") {
		t.Fatalf("stale reading: %v", err)
	}
}

// TestSerialScaleOnPTY runs the reader on a pseudo-terminal fed like a
// continuous-output scale (CAS/A&D style, 9600 baud framing irrelevant on
// a PTY), including a reconnect after the device vanished.
func TestSerialScaleOnPTY(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no pseudo-terminals on Windows")
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	name := tty.Name()
	defer tty.Close()
	r := NewReader(Config{Device: name, Baud: 9600}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	write := func(s string) {
		if _, err := ptmx.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		write("US,GS,+  0.800kg\r\n")
		write(fmt.Sprintf("ST,GS,+%8.3fkg\r\n", 1.875))
		w, err := r.Weight()
		if err == nil && w.Grams == 1875 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no stable weight from the PTY: %+v %v", w, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"S S 1.234 kg", "ST,GS,+001.234 kg", "1,5kg", "OL", "99999999999 kg"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err == nil && (r.Grams > 1e7 || r.Grams < -1e7) {
			t.Fatalf("%q → %d g", s, r.Grams)
		}
	})
}
