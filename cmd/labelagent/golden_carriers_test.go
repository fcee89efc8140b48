package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/dhl/privateshipping"
	"github.com/labelagent/labelagent/dhl/sim"
	frsim "github.com/labelagent/labelagent/dhl/sim/franking"
	imsim "github.com/labelagent/labelagent/dhl/sim/internetmarke"
)

// carrierSims are the DHL and Deutsche Post simulators on one loopback
// address, in this process and on the golden rig's clock, so what the
// agent makes of their answers can be compared byte for byte.
type carrierSims struct {
	base     string
	config   string // the carrier sections of the agent's configuration
	franking *frsim.Server
}

func startCarrierSims(t *testing.T) *carrierSims {
	t.Helper()
	now := func() time.Time { return goldenTime }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	shipping := sim.New(sim.Options{Seed: 1, Now: now, Logger: log})
	im, err := imsim.New(imsim.Config{Approved: true, Balance: 5000, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	fr := frsim.New(frsim.Options{Now: now, Logger: log})
	mux := http.NewServeMux()
	mux.Handle("/", shipping)
	for _, p := range []string{imsim.BasePath + "/", "/download/", imsim.ControlPath + "/"} {
		mux.Handle(p, im.Handler())
	}
	mux.Handle(privateshipping.BasePath+"/", fr)
	mux.Handle(frsim.ControlPath+"/", fr)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s := &carrierSims{base: "http://" + ln.Addr().String(), franking: fr}
	// The configuration `labelagent simulate` prints, with a sender for
	// address stamps, no franking poll between the steps, and where
	// shipments print.
	cfg := simulatorInfo(shipping, im, s.base).Config
	cfg = strings.Replace(cfg, "franking:\n", "  sender: {name: My Online Shop GmbH, address_line1: Sträßchensweg 10, postal_code: \"53113\", city: Bonn, country: DEU}\nfranking:\n  poll_interval: 1h\n", 1)
	s.config = cfg + "shipments:\n  printer: desk\n  document_printer: desk\n  postage:\n    V01PAK: \"4,99\"\n"
	return s
}

// goldenIDs replaces what differs from run to run (random parts of ids,
// the simulators' address) with stable names, numbered in order of first
// appearance: the same id reads the same all through one golden file.
type goldenIDs struct {
	base  string
	seen  map[string]string
	count map[string]int
}

var goldenIDPatterns = []struct {
	name string
	re   *regexp.Regexp
}{
	{"CART", regexp.MustCompile(`\bFR\d{13,14}[0-9A-F]{6}\b`)},
	{"PURCHASE", regexp.MustCompile(`\b\d{8}T\d{6}-[0-9a-f]{8}\b`)},
	{"KEY", regexp.MustCompile(`\bcli-[0-9a-f]{16}\b`)},
	{"PAKID", regexp.MustCompile(`\bPAK[0-9A-F]{16}\b`)},
}

func (g *goldenIDs) clean(s string) string {
	if g.seen == nil {
		g.seen, g.count = map[string]string{}, map[string]int{}
	}
	s = strings.ReplaceAll(s, g.base, "$SIM")
	for _, p := range goldenIDPatterns {
		s = p.re.ReplaceAllStringFunc(s, func(id string) string {
			if n, ok := g.seen[id]; ok {
				return n
			}
			g.count[p.name]++
			n := "<" + p.name + "-" + strconv.Itoa(g.count[p.name])
			// As wide as the id, so that tables stay aligned.
			n += strings.Repeat("_", max(0, len(id)-len(n)-1)) + ">"
			g.seen[id] = n
			return n
		})
	}
	return s
}

// goldenStep is one command of a golden file; args may name values the
// run learns on the way ({cart}: the newest franking cart).
type goldenStep struct {
	args []string
	// before runs ahead of the command (e.g. DHL takes the payment).
	before func(g *goldenRig, s *carrierSims)
}

func runGoldenSteps(t *testing.T, name string, steps []goldenStep) {
	for _, lang := range []string{"en", "de"} {
		for _, mode := range []string{"human", "json"} {
			s := startCarrierSims(t)
			g := newGoldenRigWith(t, s.config)
			ids := &goldenIDs{base: s.base}
			var b strings.Builder
			for _, st := range steps {
				if st.before != nil {
					st.before(g, s)
				}
				args := append([]string{"--lang", lang}, st.args...)
				for i, a := range args {
					if a == "{cart}" {
						args[i] = g.newestCart()
					}
				}
				if mode == "json" {
					args = append(args, "--json")
				}
				out, errOut, code := g.cli(args...)
				b.WriteString("$ labelagent " + strings.Join(args, " ") + "\n")
				b.WriteString(out)
				if errOut != "" {
					b.WriteString("[stderr] " + errOut)
				}
				if code != 0 {
					b.WriteString("[exit " + strconv.Itoa(code) + "]\n")
				}
				b.WriteString("\n")
				if mode == "json" {
					checkJSONShape(t, strings.Join(args, " "), out, errOut, code)
				}
			}
			golden(t, name+"."+lang+"."+mode, ids.clean(b.String()))
		}
	}
}

// newestCart is the id of the newest Online Franking cart.
func (g *goldenRig) newestCart() string {
	out, _, code := g.cli("franking", "list", "--json")
	var l apitype.FrankingCartList
	if err := json.Unmarshal([]byte(out), &l); code != 0 || err != nil || len(l.Carts) == 0 {
		g.t.Fatalf("franking list: exit %d, %v\n%s", code, err, out)
	}
	return l.Carts[0].ID
}

// payNewestCart pays the newest cart at DHL, as the operator does in
// DHL's page (no notify: the agent learns it by asking).
func payNewestCart(g *goldenRig, s *carrierSims) {
	out, _, _ := g.cli("franking", "show", g.newestCart(), "--json")
	var c apitype.FrankingCart
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.ShoppingCartID == "" {
		g.t.Fatalf("franking show: %v\n%s", err, out)
	}
	if _, err := s.franking.Pay(c.ShoppingCartID, 0); err != nil {
		g.t.Fatal(err)
	}
}

var (
	// Go struct field names (an internal struct dumped as it is) start
	// upper-case; our shapes are snake_case.
	reNotSnake = regexp.MustCompile(`"([A-Za-z0-9]*[A-Z][A-Za-z0-9]*)"\s*:`)
	// A document inlined as base64 instead of a file path.
	reBase64Blob = regexp.MustCompile(`"[A-Za-z0-9+/]{200,}={0,2}"`)
)

// checkJSONShape: with --json, standard output is JSON (one value, or one
// per line for streams) with snake_case keys and no inlined documents, and
// a refusal is a JSON error on standard error.
func checkJSONShape(t *testing.T, cmd, out, errOut string, code int) {
	t.Helper()
	for _, stream := range []struct{ name, text string }{{"stdout", out}, {"stderr", errOut}} {
		if strings.TrimSpace(stream.text) == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(stream.text))
		for {
			var v any
			if err := dec.Decode(&v); err == io.EOF {
				break
			} else if err != nil {
				t.Errorf("%s: %s is not JSON: %v\n%s", cmd, stream.name, err, stream.text)
				break
			}
		}
		if m := reNotSnake.FindStringSubmatch(stream.text); m != nil {
			t.Errorf("%s: key %q is not snake_case:\n%s", cmd, m[1], stream.text)
		}
		if reBase64Blob.MatchString(stream.text) {
			t.Errorf("%s: a document is inlined as base64 (want a file path):\n%s", cmd, stream.text)
		}
	}
	if code != 0 {
		var e struct {
			Error CLIError `json:"error"`
		}
		if err := json.Unmarshal([]byte(errOut), &e); err != nil || e.Error.Message == "" || e.Error.Code == "" {
			t.Errorf("%s: exit %d without a JSON error on stderr: %q", cmd, code, errOut)
		}
	}
}

func shipArgs(ref string, extra ...string) []string {
	return append([]string{"ship", "--ref", ref, "--name", "Maria Musterfrau", "--street", "Kurfürstendamm 1",
		"--postal-code", "10719", "--city", "Berlin"}, extra...)
}

// TestGoldenShipments: ship (created, the same order again, refused by
// DHL, refused here, checked with --validate), show, reprint, cancel, list
// and the day's end, human and JSON, in English and German.
func TestGoldenShipments(t *testing.T) {
	runGoldenSteps(t, "ship", []goldenStep{
		{args: shipArgs("order-1001", "--weight", "1,2")},
		{args: shipArgs("order-1001", "--weight", "1,2")},
		{args: []string{"ship", "show", "order-1001"}},
		{args: shipArgs("order-1002", "--weight", "40")},
		{args: shipArgs("order-1002", "--weight", "40", "--validate")},
		{args: shipArgs("order-1003", "--weight", "zwei")},
		{args: shipArgs("order-1004", "--weight", "0,75")},
		{args: []string{"ship", "reprint", "order-1004"}},
		{args: []string{"ship", "cancel", "order-1001"}},
		{args: []string{"ship", "cancel", "order-1001"}},
		{args: []string{"ship", "list"}},
		{args: []string{"ship", "list", "--state", "waiting"}},
		{args: []string{"ship", "reprint", "order-1004", "--document", "invoice"}},
		{args: []string{"ship", "show", "order-9999"}},
		{args: []string{"ship", "document", "order-1004", "--kind", "customs", "-o", "-"}},
		{args: []string{"dayend", "-o", "manifest.pdf", "--csv", "day.csv"}},
	})
}

// TestGoldenStamps: balance, products, formats, a purchase, the same key
// again, a refused product, the list.
func TestGoldenStamps(t *testing.T) {
	runGoldenSteps(t, "stamp", []goldenStep{
		{args: []string{"stamp", "balance"}},
		{args: []string{"stamp", "formats"}},
		{args: []string{"stamp", "buy", "--key", "order-1001", "--reference", "Bestellung 1001"}},
		{args: []string{"stamp", "buy", "--key", "order-1001", "--reference", "Bestellung 1001"}},
		{args: []string{"stamp", "buy", "--key", "order-1002", "--product", "99999"}},
		{args: []string{"stamp", "buy", "--key", "order-1003", "--to-name", "Erika Mustermann", "--to-street", "Heidestr. 17",
			"--to-postal-code", "5114", "--to-city", "Köln"}},
		// One purchase only: two bought in the same second of the fixed
		// clock list in the order of their ids' random part.
		{args: []string{"stamp", "list"}},
		{args: []string{"stamp", "buy", "--key", "order-1004", "--to-name", "Erika Mustermann", "--to-street", "Heidestr. 17",
			"--to-postal-code", "51147", "--to-city", "Köln"}},
		{args: []string{"stamp", "balance"}},
	})
}

// TestGoldenFranking: products, a cart (created, paid at DHL, printed),
// its list and view, a reprint, and the refusals: not Latin-1, a wrong
// output, a reprint of an unpaid cart.
func TestGoldenFranking(t *testing.T) {
	create := func(order, name string, extra ...string) []string {
		return append([]string{"franking", "create", "--order", order, "--weight", "2,5", "--name", name,
			"--street", "Hauptstraße", "--house-number", "4", "--postal-code", "10115", "--city", "Berlin"}, extra...)
	}
	runGoldenSteps(t, "franking", []goldenStep{
		{args: []string{"franking", "products", "--weight", "2,5", "--to", "DEU"}},
		{args: create("2001", "Max Mustermann")},
		{args: []string{"franking", "list"}},
		{args: []string{"franking", "reprint", "{cart}"}},
		{args: []string{"franking", "refresh", "{cart}"}, before: payNewestCart},
		{args: []string{"franking", "show", "{cart}"}},
		{args: []string{"franking", "reprint", "{cart}"}},
		{args: create("2002", "Paweł Nowak")},
		{args: create("2003", "Max Mustermann", "--output", "box")},
		{args: []string{"franking", "products", "--weight", "1,5kgs"}},
	})
}
