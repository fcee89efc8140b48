package pairing

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/apitype"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func open(t *testing.T, path string, c *clock) (*Registry, *bolt.DB) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(db, 10*time.Minute, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return r, db
}

func TestPairApproveAndPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	c := &clock{t: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)}
	r, db := open(t, path, c)
	const o = "https://shop.example"
	tok, code, err := r.Request(o, "Shop\x00 Admin")
	if err != nil || len(code) != 4 || !strings.HasPrefix(tok, "la1_") {
		t.Fatalf("request: %q %q %v", tok, code, err)
	}
	if st, err := r.Check(o, tok); !errors.Is(err, ErrPending) || st.Code != code {
		t.Fatalf("before approval: %+v %v, want pending with the code", st, err)
	}
	ls := r.List()
	if len(ls) != 1 || ls[0].State != apitype.OriginPending || ls[0].App != "Shop Admin" || ls[0].Code != code {
		t.Fatalf("list: %+v", ls)
	}
	if _, err := r.Approve(o, []string{"postage"}); err != nil {
		t.Fatal(err)
	}
	st, err := r.Check(o, tok)
	if err != nil || strings.Join(st.Scopes, ",") != "print,postage" {
		t.Fatalf("approved: %+v %v", st, err)
	}
	if _, err := r.Check(o, tok+"x"); !errors.Is(err, ErrBadToken) {
		t.Fatalf("wrong token: %v", err)
	}
	if _, err := r.Check("https://other.example", tok); !errors.Is(err, ErrNotPaired) {
		t.Fatalf("token of another origin: %v", err)
	}
	// Decisions survive a restart; only the hash is stored.
	db.Close()
	r, db = open(t, path, c)
	defer db.Close()
	if _, err := r.Check(o, tok); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucket).Get([]byte(o))
		if strings.Contains(string(v), tok) || !strings.Contains(string(v), HashToken(tok)) {
			t.Errorf("stored record holds the token instead of its hash: %s", v)
		}
		return nil
	})
	// A new request leaves the old token working until approved.
	tok2, _, _ := r.Request(o, "Shop")
	if _, err := r.Check(o, tok); err != nil {
		t.Fatalf("old token while re-pairing: %v", err)
	}
	r.Approve(o, nil)
	if _, err := r.Check(o, tok); !errors.Is(err, ErrBadToken) {
		t.Fatalf("replaced token: %v", err)
	}
	if st, err := r.Check(o, tok2); err != nil || strings.Join(st.Scopes, ",") != "print" {
		t.Fatalf("new token: %+v %v", st, err)
	}
}

func TestDenyRevokeExpire(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)}
	r, db := open(t, filepath.Join(t.TempDir(), "db"), c)
	defer db.Close()
	const o = "http://localhost:3000"
	tok, _, _ := r.Request(o, "")
	if _, err := r.Deny(o); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Check(o, tok); !errors.Is(err, ErrDenied) {
		t.Fatalf("denied origin: %v", err)
	}
	if _, _, err := r.Request(o, ""); !errors.Is(err, ErrDenied) {
		t.Fatalf("denied origin asks again: %v", err)
	}
	if _, ok := r.Accepted(o); ok {
		t.Fatal("denied origin accepted for Browser Print")
	}
	if err := r.Revoke(o); err != nil {
		t.Fatal(err)
	}
	if err := r.Revoke(o); !errors.Is(err, ErrUnknown) {
		t.Fatalf("revoke twice: %v", err)
	}
	if _, _, err := r.Request(o, ""); err != nil {
		t.Fatalf("after revoke the origin may ask again: %v", err)
	}
	// An unanswered request expires.
	c.t = c.t.Add(11 * time.Minute)
	if ls := r.List(); len(ls) != 0 {
		t.Fatalf("expired request still listed: %+v", ls)
	}
	// Bounded pending requests.
	for i := range MaxPending {
		if _, _, err := r.Request("https://p"+string(rune('a'+i))+".example", ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := r.Request("https://one-too-many.example", ""); !errors.Is(err, ErrTooMany) {
		t.Fatalf("request over the limit: %v", err)
	}
	if _, err := r.Approve("https://x.example", []string{"root"}); !errors.Is(err, ErrBadScope) {
		t.Fatalf("unknown scope: %v", err)
	}
}

func TestBrowserPrintAcceptedHosts(t *testing.T) {
	c := &clock{t: time.Now()}
	r, db := open(t, filepath.Join(t.TempDir(), "db"), c)
	defer db.Close()
	const o = "https://wms.example"
	code, err := r.RequestBrowserPrint(o)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := r.RequestBrowserPrint(o); again != code {
		t.Fatalf("every Browser Print call made a new request: %s then %s", code, again)
	}
	if _, ok := r.Accepted(o); ok {
		t.Fatal("accepted before approval")
	}
	o2, _ := r.Approve(o, nil)
	if o2.Paired || o2.Via != ViaBrowserPrint {
		t.Fatalf("approved Browser Print origin: %+v", o2)
	}
	if s, ok := r.Accepted(o); !ok || s[0] != apitype.ScopePrint {
		t.Fatalf("accepted: %v %v", s, ok)
	}
	// No token exists, so no token checks out.
	if _, err := r.Check(o, ""); !errors.Is(err, ErrBadToken) {
		t.Fatalf("empty token: %v", err)
	}
}

func TestNormalizeOrigin(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://Shop.Example", "https://shop.example"},
		{"https://shop.example:443", "https://shop.example"},
		{"http://shop.example:80/", "http://shop.example"},
		{"http://localhost:3000", "http://localhost:3000"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"http://127.0.0.1:0080", "http://127.0.0.1"},
		{"null", ""},
		{"", ""},
		{"file://", ""},
		{"chrome-extension://abc", ""},
		{"https://shop.example/path", ""},
		{"https://user@shop.example", ""},
		{"https://shop.example?x=1", ""},
		{"https://shop.example:99999", ""},
		{"https://", ""},
		{"javascript:alert(1)", ""},
		{"https://" + strings.Repeat("a", 300) + ".example", ""},
	} {
		got, err := NormalizeOrigin(tc.in)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzNormalizeOrigin(f *testing.F) {
	for _, s := range []string{"https://shop.example", "http://[::1]:1", "null", "http://a:80/", "https://ü.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := NormalizeOrigin(s)
		if err != nil {
			return
		}
		again, err := NormalizeOrigin(o)
		if err != nil || again != o {
			t.Fatalf("not stable: %q -> %q -> %q (%v)", s, o, again, err)
		}
		if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
			t.Fatalf("%q -> %q", s, o)
		}
	})
}
