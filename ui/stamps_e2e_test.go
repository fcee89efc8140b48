package ui

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/internal/simtest"
)

// TestBuyStampsThroughTheRealAgent buys stamps the way the tray's
// Portokasse tab does, against the real agent (`labelagent run`) and the
// INTERNETMARKE simulator (`labelagent simulate`): the agent journals the
// purchase, pays once from the Portokasse and prints the stamp; asking
// again under the same key (an answer the tray did not get) returns that
// purchase without paying again. The agent's tray.low_balance comes with
// the balance and raises the notification.
func TestBuyStampsThroughTheRealAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the agent and the simulator")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "labelagent")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/labelagent").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	_, simCfg := simtest.Start(t, bin)
	addr := freePort(t)
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`listen: %s
data_dir: %s
browser: {enabled: false}
default_printer: desk
printers:
  - {name: desk, transport: file, file: {dir: %s}}
tray:
  low_balance: "100.000,00"
%s`, addr, data, filepath.Join(dir, "labels"), simCfg)), 0o600); err != nil {
		t.Fatal(err)
	}
	agent := exec.Command(bin, "run", "--config", cfg)
	agent.Stdout, agent.Stderr = io.Discard, io.Discard
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	cl := &client.Client{Addr: addr, DataDir: data}
	simtest.WaitAgent(t, cl)

	m := NewModel(Options{Addr: addr, DataDir: data, Lang: i18n.German})
	n := &notices{}
	m.OnNotice(n.add)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m.RefreshBalance(ctx, true)
	before := m.State().Balance
	if !before.Known || !before.Value.Low || before.Value.LowBelowCents != 10000000 {
		t.Fatalf("the balance with tray.low_balance 100.000,00 €: %+v", before)
	}
	if n.kinds() != "low_balance" {
		t.Errorf("notices: %q, want low_balance", n.kinds())
	}
	products, err := m.StampProducts(ctx)
	if err != nil || len(products) == 0 {
		t.Fatalf("products: %v %v", products, err)
	}
	p := products[0]
	for _, x := range products {
		if x.Default {
			p = x
		}
	}
	key := NewPurchaseKey()
	bought, err := m.BuyStamps(ctx, key, p.Code, 1)
	if err != nil {
		t.Fatalf("buy: %v", err)
	}
	if bought.Quantity != 1 || bought.TotalCents != p.PriceCents || bought.ID == "" {
		t.Errorf("bought %+v, want 1 × %+v", bought, p)
	}
	again, err := m.BuyStamps(ctx, key, p.Code, 1)
	if err != nil || again.ID != bought.ID {
		t.Fatalf("the same key again: %+v, %v; want purchase %s", again, err, bought.ID)
	}
	for {
		got, err := cl.StampPurchase(ctx, bought.ID)
		if err == nil && got.State == "printed" {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the purchase did not print: %+v %v", got, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.RefreshBalance(ctx, true)
	after := m.State()
	t.Logf("bought %d × %s (%d ct) as %s; balance %d → %d ct", bought.Quantity, bought.ProductName, bought.TotalCents, bought.ID, before.Value.Cents, after.Balance.Value.Cents)
	if after.Balance.Value.Cents != before.Value.Cents-p.PriceCents {
		t.Errorf("balance %d → %d, want one charge of %d", before.Value.Cents, after.Balance.Value.Cents, p.PriceCents)
	}
	if len(after.Purchases) != 1 || after.Purchases[0].ID != bought.ID {
		t.Errorf("purchases listed: %+v", after.Purchases)
	}
	if got := BoughtText(m.L(), bought); !strings.HasPrefix(got, "Gekauft: ") || !strings.Contains(got, "1 × ") {
		t.Errorf("bought text %q", got)
	}
}

// freePort is a loopback address no one listens on (for the agent).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
