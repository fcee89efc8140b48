package address

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitStreet(t *testing.T) {
	tests := []struct {
		in, street, house string
		ok                bool
	}{
		// the hard cases from the facts document
		{"Musterstraße12", "Musterstraße", "12", true},
		{"Hauptstraße 4/1", "Hauptstraße", "4/1", true},
		{"Kollmitz 1 1/3", "Kollmitz", "1 1/3", true},
		{"Am Markt 12a-13c", "Am Markt", "12a-13c", true},
		{"C 3 54", "C 3", "54", true},
		{"C3, 54", "C 3", "54", true},
		{"Straße 101", "Straße 101", "", false},
		{"Straße 101 7", "Straße 101", "7", true},
		{"1. Mai-Straße 5", "1. Mai-Straße", "5", true},
		{"1. Mai-Straße", "1. Mai-Straße", "", false},
		// everyday shapes
		{"Kurfürstendamm 1", "Kurfürstendamm", "1", true},
		{"Sträßchensweg 10", "Sträßchensweg", "10", true},
		{"Kurt-Schumacher-Str. 20", "Kurt-Schumacher-Str.", "20", true},
		{"Straße des 17. Juni 135", "Straße des 17. Juni", "135", true},
		{"Hauptstr. 5 a", "Hauptstr.", "5 a", true},
		{"Musterweg 12 - 14", "Musterweg", "12-14", true},
		{"Heimpl. 1/5", "Heimpl.", "1/5", true},
		{"  Lindenallee   7b  ", "Lindenallee", "7b", true},
		{"Bahnhofstraße, 3", "Bahnhofstraße", "3", true},
		{"An der Alster", "An der Alster", "", false},
		{"10 Downing Street", "Downing Street", "10", true},
		{"Museumstraat 1", "Museumstraat", "1", true},
		{"", "", "", false},
	}
	for _, tt := range tests {
		street, house, ok := SplitStreet(tt.in)
		if street != tt.street || house != tt.house || ok != tt.ok {
			t.Errorf("SplitStreet(%q) = %q, %q, %v; want %q, %q, %v", tt.in, street, house, ok, tt.street, tt.house, tt.ok)
		}
	}
}

func FuzzSplitStreet(f *testing.F) {
	for _, s := range []string{"Musterstraße12", "Hauptstraße 4/1", "Kollmitz 1 1/3", "Am Markt 12a-13c", "C 3 54", "Straße 101", "1. Mai-Straße 5", "10 Downing Street", " , ", "1/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		street, house, ok := SplitStreet(in)
		if ok && house == "" {
			t.Fatalf("ok without a house number for %q", in)
		}
		if !ok && house != "" {
			t.Fatalf("house %q without ok for %q", house, in)
		}
		if utf8.ValidString(in) && (!utf8.ValidString(street) || !utf8.ValidString(house)) {
			t.Fatalf("invalid UTF-8 out of valid input %q", in)
		}
		// nothing is invented: every character of the output was in the input
		for _, r := range street + house {
			if r != ' ' && !strings.ContainsRune(strings.ToUpper(in)+in, r) {
				t.Fatalf("SplitStreet(%q) = %q, %q: %q not in input", in, street, house, r)
			}
		}
	})
}

func TestCheckerMessagesNameTheField(t *testing.T) {
	c := NewChecker("shipments[0]", Words{})
	c.At("consignee").PostalCode("postalCode", "5311", "DEU", true)
	c.At("consignee").Country("country", "DE", true)
	c.At("consignee").Text("name1", strings.Repeat("x", 51), true, 1, 50)
	c.At("consignee").PostalCode("postalCode", "53113 ", "DEU", true)
	errs := *c.Errs
	if len(errs) != 4 {
		t.Fatalf("want 4 errors, got %v", errs)
	}
	for i, want := range []string{"shipments[0].consignee.postalCode", "shipments[0].consignee.country", "shipments[0].consignee.name1", "shipments[0].consignee.postalCode"} {
		if errs[i].Field != want {
			t.Errorf("error %d names %q, want %q", i, errs[i].Field, want)
		}
	}
	if !strings.Contains(errs[1].Message, "alpha-3") {
		t.Errorf("country message should say what is expected: %s", errs[1].Message)
	}
}

func BenchmarkSplitStreet(b *testing.B) {
	lines := []string{"Musterstraße12", "Hauptstraße 4/1", "Kollmitz 1 1/3", "Am Markt 12a-13c", "C 3 54", "Straße 101", "1. Mai-Straße 5", "Kurfürstendamm 1"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		SplitStreet(lines[i%len(lines)])
	}
}
