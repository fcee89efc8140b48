package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/purchase"
	"github.com/labelagent/labelagent/agent/store"
)

// The fixture is a store written by the agent before stores had a schema
// version (see testdata/gen-schema0). Upgrading it keeps every job, payload,
// idempotency key, setting and open purchase, and leaves the original as a
// backup copy.
func TestUpgradeFromUnversionedStoreKeepsEverything(t *testing.T) {
	fixture, err := os.ReadFile("testdata/schema0/labelagent.db")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, store.FileName), fixture, 0o640); err != nil {
		t.Fatal(err)
	}
	if v, err := store.SchemaVersionOf(filepath.Join(dir, store.FileName)); err != nil || v != 0 {
		t.Fatalf("fixture schema version = %d, %v; want 0", v, err)
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s, err := store.OpenAt(dir, at)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// The copy taken before the upgrade is the untouched original.
	backup := filepath.Join(store.BackupDir(dir), store.FileName+".schema0-20261201T090000")
	got, err := os.ReadFile(backup)
	if err != nil {
		t.Fatalf("no backup copy before the upgrade: %v", err)
	}
	if problems, err := store.Check(backup); err != nil || len(problems) > 0 || len(got) == 0 {
		t.Fatalf("backup copy before the upgrade is not sound: %v %v", problems, err)
	}

	active, err := s.Active()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, j := range active {
		names = append(names, j.Name+"="+string(j.State))
	}
	if strings.Join(names, ",") != "order-1002=queued,order-1003=printing,order-1004=queued" {
		t.Fatalf("unfinished jobs after the upgrade: %v", names)
	}
	all, _ := s.List(store.Filter{})
	if len(all) != 4 || all[3].Name != "order-1001" || all[3].State != apitype.StateDone || all[3].Finished == nil {
		t.Fatalf("jobs after the upgrade: %+v", all)
	}
	for _, j := range all {
		p, err := s.Payload(j.PayloadSHA256)
		if err != nil || store.HashPayload(p) != j.PayloadSHA256 {
			t.Fatalf("payload of %s: %v", j.Name, err)
		}
	}
	// An idempotency key from before still finds its job.
	again, existing, err := s.Submit(apitype.Job{Printer: "zebra", Kind: apitype.KindZPL, Copies: 1, IdempotencyKey: "shop-1002", State: apitype.StateQueued}, []byte("other"))
	if err != nil || !existing || again.Name != "order-1002" {
		t.Fatalf("idempotency key lost: %+v existing=%v err=%v", again, existing, err)
	}
	if v, _ := s.Setting("printer/zebra/paused"); v != "1" {
		t.Fatal("the paused printer was forgotten")
	}
	// New jobs continue the id sequence.
	n, _, err := s.Submit(apitype.Job{Printer: "zebra", Kind: apitype.KindZPL, Copies: 1, State: apitype.StateQueued}, []byte("^XA^XZ"))
	if err != nil || n.ID != "5" {
		t.Fatalf("new job after the upgrade: id %q, %v", n.ID, err)
	}

	// The purchase journal's open purchases are all there.
	j, err := purchase.Open(s.DB(), noAPI{}, purchase.Options{})
	if err != nil {
		t.Fatal(err)
	}
	open, err := j.List(true, 0)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]purchase.State{}
	for _, p := range open {
		keys[p.Request.IdempotencyKey] = p.State
		if files, err := j.Files(p.ID); err != nil || len(files) == 0 {
			t.Errorf("stamp files of %s: %d, %v", p.ID, len(files), err)
		}
	}
	if len(keys) != 2 || keys["stamp-stored"] != purchase.StateStored || keys["stamp-lost"] != purchase.StateStored {
		t.Fatalf("open purchases after the upgrade: %v", keys)
	}

	// The store now says what it is, and the backup copy is a sound store.
	s.Close()
	if v, err := store.SchemaVersionOf(filepath.Join(dir, store.FileName)); err != nil || v != store.SchemaVersion {
		t.Fatalf("schema version after the upgrade = %d, %v", v, err)
	}
	if problems, err := store.Check(backup); err != nil || len(problems) > 0 {
		t.Fatalf("backup copy: %v %v", problems, err)
	}
	if v, err := store.SchemaVersionOf(backup); err != nil || v != 0 {
		t.Fatalf("backup copy has schema version %d, %v; want the original 0", v, err)
	}
	// A second start neither migrates nor copies again.
	s2, err := store.OpenAt(dir, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if list := store.Backups(dir); len(list) != 1 {
		t.Fatalf("backups after the second start: %v", list)
	}
}

// noAPI: the test only reads the journal.
type noAPI struct{ purchase.API }
