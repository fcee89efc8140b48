package apitype

import "testing"

func TestPrintableEscapesWhatATerminalWouldObey(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Bestellung Müller 4711", "Bestellung Müller 4711"},
		{"", ""},
		{"\x1b[2J\x1b[31mPAID", `\x1b[2J\x1b[31mPAID`},
		{"a\x00b", `a\x00b`},
		{"line\nbreak\ttab", `line\nbreak\ttab`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"order \u202egpj.exe", `order \u202egpj.exe`},
		{"bad \xff byte", `bad \xff byte`},
		{"del \x7f", `del \x7f`},
	}
	for _, c := range cases {
		if got := Printable(c.in); got != c.want {
			t.Errorf("Printable(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzPrintableLeavesNoControlCharacters(f *testing.F) {
	f.Add("\x1b]0;title\x07")
	f.Add("ok")
	f.Fuzz(func(t *testing.T, s string) {
		out := Printable(s)
		for _, r := range out {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == 0x202e || r == 0xfffd && !containsRune(s, 0xfffd) {
				t.Fatalf("Printable(%q) = %q still holds %U", s, out, r)
			}
		}
	})
}

func containsRune(s string, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}
