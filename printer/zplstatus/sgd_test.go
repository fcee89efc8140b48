package zplstatus

import "testing"

func TestParseCounter(t *testing.T) {
	cases := []struct {
		in     string
		n      int64
		ok     bool
		hasErr bool
	}{
		{`"1234"`, 1234, true, false},
		{"\"0\"\r\n", 0, true, false},
		{`" 77 "`, 77, true, false},
		{`"?"`, 0, false, false},
		{`""`, 0, false, false},
		{`"12a"`, 0, false, true},
		{`"-3"`, 0, false, true},
		{`1234`, 0, false, true},
		{`"99999999999999999999"`, 0, false, true},
	}
	for _, c := range cases {
		n, ok, err := ParseCounter([]byte(c.in))
		if n != c.n || ok != c.ok || (err != nil) != c.hasErr {
			t.Errorf("ParseCounter(%q) = %d %v %v, want %d %v error=%v", c.in, n, ok, err, c.n, c.ok, c.hasErr)
		}
	}
}

func TestSGDComplete(t *testing.T) {
	for in, want := range map[string]int{`"12"`: 4, "junk\"5\"tail": 7, `"12`: -1, ``: -1} {
		n, ok := SGDComplete([]byte(in))
		if (want < 0) == ok || (ok && n != want) {
			t.Errorf("SGDComplete(%q) = %d %v, want %d", in, n, ok, want)
		}
	}
}

func FuzzParseCounter(f *testing.F) {
	f.Add([]byte(`"1234"`))
	f.Add([]byte(`"?"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, ok, err := ParseCounter(b)
		if err == nil && ok && n < 0 {
			t.Fatalf("negative count %d from %q", n, b)
		}
		if m, done := SGDComplete(b); done && (m < 2 || m > len(b)) {
			t.Fatalf("SGDComplete(%q) spans %d", b, m)
		}
	})
}
