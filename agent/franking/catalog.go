package franking

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	ps "github.com/labelagent/labelagent/dhl/privateshipping"
)

// CatalogState is the cached product catalog.
type CatalogState struct {
	Products []ps.Product `json:"products"`
	Fetched  time.Time    `json:"fetched"`
	// Error is the last failed refresh (the older catalog stays in use).
	Error string `json:"error,omitempty"`
}

func (j *Journal) cachedCatalog() (CatalogState, error) {
	var st CatalogState
	err := j.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCatalog).Get(catalogKey)
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &st)
	})
	return st, err
}

// Catalog returns the product catalog from the store, fetching it from DHL
// when it is older than the refresh interval (about a day) or force is set.
// A failed refresh keeps the older catalog and reports the error with it.
func (j *Journal) Catalog(ctx context.Context, force bool) (CatalogState, error) {
	j.catMu.Lock()
	defer j.catMu.Unlock()
	st, err := j.cachedCatalog()
	if err != nil {
		return st, err
	}
	if !force && !st.Fetched.IsZero() && j.opts.Now().Sub(st.Fetched) < j.opts.Config.CatalogRefresh {
		return st, nil
	}
	products, err := j.api.Products(ctx, ps.Filter{})
	if err != nil {
		st.Error = err.Error()
		if st.Fetched.IsZero() {
			return st, fmt.Errorf("online franking product catalog: %w", err)
		}
		return st, nil
	}
	st = CatalogState{Products: products, Fetched: j.opts.Now().UTC()}
	buf, err := json.Marshal(st)
	if err != nil {
		return st, err
	}
	return st, j.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketCatalog).Put(catalogKey, buf) })
}

// Products returns the cached catalog narrowed by f (no call to DHL unless
// the cache is stale).
func (j *Journal) Products(ctx context.Context, f ps.Filter) ([]ps.Product, CatalogState, error) {
	st, err := j.Catalog(ctx, false)
	if err != nil {
		return nil, st, err
	}
	var out []ps.Product
	for _, p := range st.Products {
		if f.Match(p) {
			out = append(out, p)
		}
	}
	return out, st, nil
}
