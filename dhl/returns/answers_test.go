package returns_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/dhl/returns"
	"github.com/labelagent/labelagent/dhl/transport"
)

// TestReturnsAnswerShapes reads the answers the Returns seed document
// describes ("sstatus" {"title": "Created", "status": 201}, shipmentNo,
// internationalShipmentNo, label.b64 as PDF, qrLabel.b64 as PNG, routingCode,
// qrLink; errors 400, 401, 403, 500) through the client.
func TestReturnsAnswerShapes(t *testing.T) {
	pdf := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n%%EOF\n"))
	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\n"))
	rows := []struct {
		name          string
		labelType     string
		status        int
		body          string
		shipmentNo    string
		pdf, qr       bool
		httpStatus    int
		title, detail string
	}{
		{name: "201 Created, both documents", labelType: returns.LabelBoth, status: 201,
			body:       `{"sstatus":{"title":"Created","status":201},"shipmentNo":"999990010010","internationalShipmentNo":"","label":{"b64":"` + pdf + `"},"qrLabel":{"b64":"` + png + `"},"routingCode":"53113+99000900090","qrLink":"https://www.dhl.de/qr?x"}`,
			shipmentNo: "999990010010", pdf: true, qr: true},
		{name: "201 Created, PDF only", labelType: returns.LabelShipment, status: 201,
			body:       `{"sstatus":{"title":"Created","statusCode":201},"shipmentNo":"999990010011","label":{"b64":"` + pdf + `"},"routingCode":"53113+99000900090"}`,
			shipmentNo: "999990010011", pdf: true},
		{name: "400", labelType: returns.LabelShipment, status: 400, body: `{"title":"Bad Request","status":400,"detail":"Invalid receiverId."}`,
			httpStatus: 400, title: "Bad Request", detail: "Invalid receiverId."},
		{name: "401", labelType: returns.LabelShipment, status: 401, body: `{"title":"Unauthorized","status":401,"detail":"Unauthorized for given resource."}`,
			httpStatus: 401, title: "Unauthorized", detail: "Unauthorized for given resource."},
		{name: "403", labelType: returns.LabelShipment, status: 403, body: `{"title":"Forbidden","status":403,"detail":"The user has no permission for returns."}`,
			httpStatus: 403, title: "Forbidden", detail: "The user has no permission for returns."},
		{name: "500", labelType: returns.LabelShipment, status: 500, body: `{"title":"Internal Server Error","status":500,"detail":"An unexpected internal error occurred."}`,
			httpStatus: 500, title: "Internal Server Error", detail: "An unexpected internal error occurred."},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(row.status)
				_, _ = w.Write([]byte(row.body))
			}))
			defer srv.Close()
			tr, err := transport.New(transport.Config{BaseURL: srv.URL, APIKey: "k", Username: "u", Password: "p", Auth: transport.AuthBasic, MaxRetries: -1})
			if err != nil {
				t.Fatal(err)
			}
			l, err := returns.New(tr).Create(context.Background(), german(), row.labelType)
			if row.httpStatus != 0 {
				var ae *transport.APIError
				if !errors.As(err, &ae) || ae.StatusCode != row.httpStatus || ae.Title != row.title || ae.Detail != row.detail || !strings.Contains(err.Error(), row.detail) {
					t.Fatalf("want DHL's %d with its words, got %v", row.httpStatus, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.ShipmentNo != row.shipmentNo || l.ReturnID() != "RET"+row.shipmentNo || (len(l.PDF) > 0) != row.pdf || (len(l.QRCode) > 0) != row.qr {
				t.Fatalf("%+v", l)
			}
		})
	}
}
