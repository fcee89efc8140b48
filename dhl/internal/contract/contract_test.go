package contract

import (
	"net/http"
	"strings"
	"testing"
)

func TestParcelContractRoutesAndRejects(t *testing.T) {
	c := MustLoad(t, ParcelShipping)
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1234/parcel/de/shipping/v2/", nil)
	if err := c.ValidateRequest(req, nil); err != nil {
		t.Fatalf("version call should match the contract: %v", err)
	}
	bad, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1234/parcel/de/shipping/v2/orders", strings.NewReader("{}"))
	bad.Header.Set("Content-Type", "application/json")
	bad.Header.Set("dhl-api-key", "k")
	bad.SetBasicAuth("u", "p")
	if err := c.ValidateRequest(bad, []byte(`{"shipments":"nope"}`)); err == nil {
		t.Fatal("an order whose shipments is a string must break the contract")
	}
	nowhere, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1234/parcel/de/shipping/v2/nowhere", nil)
	if err := c.ValidateRequest(nowhere, nil); err == nil {
		t.Fatal("an unknown path must break the contract")
	}
}

func TestInternetmarkeContractLoads(t *testing.T) {
	c := MustLoad(t, Internetmarke)
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/post/de/shipping/im/v1/", nil)
	if err := c.ValidateRequest(req, nil); err != nil {
		t.Fatalf("version call should match the contract: %v", err)
	}
}
