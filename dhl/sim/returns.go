package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"github.com/labelagent/labelagent/dhl/returns"
	"github.com/labelagent/labelagent/dhl/transport"
)

type returnShipment struct {
	No, International, ReceiverID string
	Created                       time.Time
	From, To                      []string
	Postal                        string
}

// receiverIDs are the sandbox's receivers (one per sender country).
var receiverIDs = []string{"bel", "bgr", "dnk", "deu", "est", "fin", "fra", "grc", "gbr", "irl", "ita", "hrv", "lva", "ltu",
	"lux", "mlt", "nld", "aut", "pol", "prt", "rou", "swe", "che", "svk", "svn", "esp", "cze", "hun", "cyp"}

func (s *Server) locations() []returns.Location {
	out := make([]returns.Location, 0, len(receiverIDs)+1)
	for i, id := range receiverIDs {
		out = append(out, returns.Location{
			ReceiverID: id, BillingNumber: fmt.Sprintf("3333333333%02d%02d", 7, i+1),
			Address: returns.LocationAddress{Name1: "Retourenlager", Name2: "Online Shop GmbH", AddressStreet: "Sträßchensweg", AddressHouse: "10", PostalCode: "53113", City: "Bonn", Country: "DEU"},
		})
	}
	// a receiver of "Retoure Selbstzahler": listed, but without a billing number
	out = append(out, returns.Location{ReceiverID: "deu_selbstzahler", Address: returns.LocationAddress{Name1: "Retourenlager", PostalCode: "53113", City: "Bonn", Country: "DEU"}})
	return out
}

func (s *Server) routesReturns() {
	p := transport.ReturnsPath
	s.mux.HandleFunc("GET "+p+"/{$}", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, "application/json", map[string]any{"amp": map[string]any{"name": "pp-parcel-returns", "env": "simulator", "version": "v1.0.7"}})
	})
	s.mux.HandleFunc("GET "+p+"/locations", s.withAuth(s.getLocations))
	s.mux.HandleFunc("POST "+p+"/orders", s.withAuth(s.postReturn))
}

func (s *Server) getLocations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var out []returns.Location
	for _, l := range s.locations() {
		if id := q.Get("receiverId"); id != "" && !strings.EqualFold(id, l.ReceiverID) {
			continue
		}
		if b := q.Get("billingNumber"); b != "" && b != l.BillingNumber {
			continue
		}
		if c := q.Get("countryCode"); c != "" && !strings.EqualFold(c, strings.TrimSuffix(l.ReceiverID, "_selbstzahler")) {
			continue
		}
		if l.BillingNumber == "" {
			continue // since v1.0.6 only receivers usable with the API are listed
		}
		out = append(out, l)
	}
	if out == nil {
		out = []returns.Location{}
	}
	writeJSON(w, http.StatusOK, "application/json", out)
}

func returnError(w http.ResponseWriter, code int, detail string) {
	writeJSON(w, code, "application/problem+json", map[string]any{
		"title": http.StatusText(code), "status": code, "statusCode": code, "detail": detail,
	})
}

func (s *Server) postReturn(w http.ResponseWriter, r *http.Request) {
	lt := r.URL.Query().Get("labelType")
	if lt != returns.LabelShipment && lt != returns.LabelQR && lt != returns.LabelBoth {
		returnError(w, http.StatusBadRequest, "labelType must be SHIPMENT_LABEL, QR_LABEL or BOTH.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		returnError(w, http.StatusRequestEntityTooLarge, "The request body is too large.")
		return
	}
	var o returns.Order
	if err := json.Unmarshal(body, &o); err != nil {
		returnError(w, http.StatusBadRequest, "The request body is not valid JSON: "+err.Error())
		return
	}
	known := false
	for _, l := range s.locations() {
		if l.ReceiverID == o.ReceiverID && l.BillingNumber != "" {
			known = true
		}
	}
	if !known {
		returnError(w, http.StatusBadRequest, fmt.Sprintf("Unknown receiverId %q or one without a billing number.", o.ReceiverID))
		return
	}
	// The service checks what the client should have checked; the same
	// rules, so a client that skipped them learns it here.
	if o.Shipper.AddressHouse == "" {
		returnError(w, http.StatusBadRequest, "shipper.addressHouse: the house number is required.")
		return
	}
	if err := o.Validate(lt); err != nil {
		returnError(w, http.StatusBadRequest, err.Error())
		return
	}
	country := returns.SenderCountry(o.ReceiverID)
	now := s.opt.Now()
	s.mu.Lock()
	s.retSerial++
	no := fmt.Sprintf("99%010d", s.retSerial%10_000_000_000)
	s.mu.Unlock()
	rs := &returnShipment{No: no, ReceiverID: o.ReceiverID, Created: now, Postal: o.Shipper.PostalCode}
	resp := map[string]any{"sstatus": map[string]any{"title": "Created", "status": 201, "statusCode": 201}, "shipmentNo": no}
	routing := ""
	if country == "DEU" {
		routing = leitcode("53113", "sträßchensweg", "10")
		resp["qrLink"] = "https://www.dhl.de/de/privatkunden/pakete-versenden/retoure-mobil.html?qr=" + no
	} else {
		rs.International = fmt.Sprintf("CX%09d%s", s.retSerial%1_000_000_000, "DE")
		resp["internationalShipmentNo"] = rs.International
		routing = internationalRoutingCode("DEU", "53113")
	}
	resp["routingCode"] = routing
	sh := o.Shipper
	rs.From = nonEmpty(sh.Name1, sh.Name2, sh.AddressStreet+" "+sh.AddressHouse, sh.PostalCode+" "+sh.City, country)
	rs.To = []string{"Retourenlager", "Online Shop GmbH", "Sträßchensweg 10", "53113 Bonn"}
	if lt != returns.LabelQR {
		ld := labelData{Title: "DHL RETOURE", Date: now.In(berlin).Format("02.01.2006"), Sender: rs.From, Receiver: rs.To,
			RoutingCode: routing, ShipmentNo: no, Reference: o.CustomerReference, Notes: []string{"Retouren-ID: RET" + no}}
		_, pdf, err := s.fonts.shippingLabel(ld, "PDF", "A4")
		if err != nil {
			returnError(w, http.StatusInternalServerError, "label rendering failed")
			return
		}
		resp["label"] = map[string]string{"b64": base64.StdEncoding.EncodeToString(pdf)}
	}
	if lt != returns.LabelShipment {
		pngData, err := qrPNG("RET" + no)
		if err != nil {
			returnError(w, http.StatusInternalServerError, "QR rendering failed")
			return
		}
		resp["qrLabel"] = map[string]string{"b64": base64.StdEncoding.EncodeToString(pngData)}
	}
	s.mu.Lock()
	s.returns[no] = rs
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, "application/json", resp)
}

// qrPNG renders a QR code with a quiet zone, 8 pixels per module.
func qrPNG(content string) ([]byte, error) {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return nil, err
	}
	n := code.Bounds().Dx()
	const px, quiet = 8, 4
	img := image.NewGray(image.Rect(0, 0, (n+2*quiet)*px, (n+2*quiet)*px))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if isDark(code, x, y) {
				draw.Draw(img, image.Rect((x+quiet)*px, (y+quiet)*px, (x+quiet+1)*px, (y+quiet+1)*px), image.NewUniform(color.Black), image.Point{}, draw.Src)
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func isDark(c barcode.Barcode, x, y int) bool {
	r, _, _, _ := c.At(x, y).RGBA()
	return r < 0x8000
}
