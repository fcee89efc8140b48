// Package scale reads the weight from a shipping scale on a serial port.
// Shipping scales send their reading continuously (or on request); the
// formats in use at packing stations differ in framing but agree on the
// essentials: a number, a unit and whether the reading is stable. Parse
// reads the common ones:
//
//	Mettler Toledo MT-SICS:   "S S      1.234 kg" (stable), "S D …" (moving), "S +"/"S -" (over/under)
//	A&D, CAS, Kern (ST/US):   "ST,GS,+001.234 kg", "US,NT,+  0.500kg", "OL,GS,+9999.99kg"
//	plain lines:              "   1.234 kg", "1,234kg", "+0001234 g", "2.5 lb"
//
// A reading without a stability flag counts as stable once the same value
// came three times in a row (Reader does that).
package scale

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.bug.st/serial"
)

// Reading is one weight the scale reported.
type Reading struct {
	Grams  int       `json:"grams"`
	Stable bool      `json:"stable"`
	At     time.Time `json:"at"`
	// Flagged is true when the line said itself whether it is stable.
	Flagged bool `json:"-"`
}

// Errors of Parse.
var (
	ErrNoWeight = errors.New("no weight in the line")
	ErrOverload = errors.New("the scale is overloaded or under zero")
)

var (
	reNumber = regexp.MustCompile(`([+-]?)\s*(\d+(?:[.,]\d+)?)\s*(kg|g|lb|lbs|oz)\b`)
	reMTSICS = regexp.MustCompile(`^S\s+([SD+-])(?:\s|$)`)
	reFlag   = regexp.MustCompile(`^(ST|US|OL)\s*,`)
)

// Parse reads one line of scale output.
func Parse(line string) (Reading, error) {
	s := strings.TrimSpace(strings.Trim(line, "\x02\x03\r\n"))
	var r Reading
	if m := reMTSICS.FindStringSubmatch(s); m != nil {
		r.Flagged = true
		switch m[1] {
		case "S":
			r.Stable = true
		case "+", "-":
			return r, ErrOverload
		}
	} else if m := reFlag.FindStringSubmatch(strings.ToUpper(s)); m != nil {
		r.Flagged = true
		switch m[1] {
		case "ST":
			r.Stable = true
		case "OL":
			return r, ErrOverload
		}
	}
	m := reNumber.FindStringSubmatch(strings.ToLower(s))
	if m == nil {
		return r, ErrNoWeight
	}
	v, err := strconv.ParseFloat(strings.Replace(m[2], ",", ".", 1), 64)
	if err != nil {
		return r, ErrNoWeight
	}
	if m[1] == "-" {
		v = -v
	}
	switch m[3] {
	case "kg":
		v *= 1000
	case "lb", "lbs":
		v *= 453.59237
	case "oz":
		v *= 28.349523125
	}
	if v > 1e7 || v < -1e7 {
		return r, ErrOverload
	}
	r.Grams = int(math.Round(v))
	return r, nil
}

// Config is the scale's serial line.
type Config struct {
	Device   string `yaml:"device"`
	Baud     int    `yaml:"baud"`
	DataBits int    `yaml:"data_bits"`
	Parity   string `yaml:"parity"` // none, even, odd
	// Request is sent periodically to scales that answer on request
	// (e.g. "SI\r\n" for MT-SICS, "W\r\n"); empty: the scale sends by itself.
	Request string `yaml:"request"`
	// MaxAge is how old a reading may be to be used (default 3s).
	MaxAge time.Duration `yaml:"max_age"`
}

// Reader keeps the latest reading of a scale.
type Reader struct {
	cfg Config
	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex
	last    Reading
	err     error
	same    int
	hasLast bool
}

// NewReader returns a reader; Run reads the port.
func NewReader(cfg Config, log *slog.Logger) *Reader {
	if cfg.Baud == 0 {
		cfg.Baud = 9600
	}
	if cfg.DataBits == 0 {
		cfg.DataBits = 8
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = 3 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reader{cfg: cfg, log: log, now: time.Now}
}

// Weight returns the current stable weight, or why there is none.
func (r *Reader) Weight() (Reading, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case !r.hasLast && r.err != nil:
		return Reading{}, r.err
	case !r.hasLast:
		return Reading{}, errors.New("the scale has sent no weight yet")
	case r.now().Sub(r.last.At) > r.cfg.MaxAge:
		return r.last, fmt.Errorf("the scale's last weight is %s old (is it on and connected?)", r.now().Sub(r.last.At).Round(time.Second))
	case !r.last.Stable:
		return r.last, errors.New("the weight is not stable yet")
	case r.last.Grams <= 0:
		return r.last, errors.New("the scale shows no weight")
	}
	return r.last, nil
}

// Feed takes one line of the scale's output.
func (r *Reader) Feed(line string) {
	rd, err := Parse(line)
	r.mu.Lock()
	defer r.mu.Unlock()
	if errors.Is(err, ErrNoWeight) {
		return // framing, echoes, empty lines
	}
	if err != nil {
		r.err, r.hasLast = err, false
		return
	}
	rd.At = r.now()
	if !rd.Flagged {
		if r.hasLast && r.last.Grams == rd.Grams {
			r.same++
		} else {
			r.same = 1
		}
		rd.Stable = r.same >= 3
	}
	r.last, r.hasLast, r.err = rd, true, nil
}

// Consume feeds every line of rd until it ends.
func (r *Reader) Consume(rd io.Reader) error {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 256), 4096)
	sc.Split(scanLines)
	for sc.Scan() {
		r.Feed(sc.Text())
	}
	return sc.Err()
}

// scanLines splits on CR, LF or CRLF (scales use all three).
func scanLines(data []byte, atEOF bool) (int, []byte, error) {
	for i, b := range data {
		if b == '\n' || b == '\r' {
			j := i + 1
			if b == '\r' && j < len(data) && data[j] == '\n' {
				j++
			}
			return j, data[:i], nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// Run opens the port and reads it until ctx ends, reopening it after an
// error (a scale switched off and on, a USB adapter replugged).
func (r *Reader) Run(ctx context.Context) {
	for ctx.Err() == nil {
		err := r.session(ctx)
		if ctx.Err() != nil {
			return
		}
		r.mu.Lock()
		r.err, r.hasLast = fmt.Errorf("scale %s: %w", r.cfg.Device, err), false
		r.mu.Unlock()
		r.log.Warn("scale: reading failed, trying again", "device", r.cfg.Device, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

func (r *Reader) session(ctx context.Context) error {
	parity := serial.NoParity
	switch strings.ToLower(r.cfg.Parity) {
	case "even":
		parity = serial.EvenParity
	case "odd":
		parity = serial.OddParity
	}
	port, err := serial.Open(r.cfg.Device, &serial.Mode{BaudRate: r.cfg.Baud, DataBits: r.cfg.DataBits, Parity: parity, StopBits: serial.OneStopBit})
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { port.Close() })
	defer stop()
	defer port.Close()
	if r.cfg.Request != "" {
		go func() {
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			for {
				if _, err := port.Write([]byte(r.cfg.Request)); err != nil {
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	return r.Consume(port)
}
