package emulator

import (
	"bytes"
	"strconv"
)

type eventKind int

const (
	evFormat   eventKind = iota // a complete ^XA…^XZ format
	evControl                   // a ~ command, e.g. "HS", "HQES"
	evDropped                   // an unfinished format replaced by a new ^XA
	evSGD                       // a Set-Get-Do line outside formats ("! U1 getvar ...")
	evDownload                  // a ~DY download outside formats, from its ~ to its last data byte
)

type event struct {
	kind eventKind
	data []byte
	cmd  string
	ja   bool // evDropped: by ~JA, which ends the format being received
	// in: evControl arrived inside a format (a ~HS then reports one
	// being received).
	in bool
}

// maxSGD bounds one SGD line.
const maxSGD = 1024

// maxFormat bounds one format in memory; a stream that never sends ^XZ
// must not exhaust the emulator.
const maxFormat = 64 << 20

// splitter turns a byte stream, in pieces of any size, into formats and
// control commands, as a ZPL printer's parser does:
//   - a format runs from ^XA to ^XZ;
//   - control commands (~HS, ~HQxx, ~HI, ~PP, ~PS, ~JA) act the moment they
//     arrive, also in the middle of a format, and are not part of it;
//   - ~JA (cancel all) also drops a format being received;
//   - a ^XA inside a format (the rest of the earlier one was lost, e.g. a
//     job cut off on a serial line and sent again) starts a new format.
type splitter struct {
	inFormat bool
	cur      []byte // the format being received
	carry    []byte // an incomplete command at the end of the last piece
	// A ~DY download being received, from its ~: its header is read to
	// the fifth comma, then its data: in formats B and C exactly the
	// declared size in bytes, in which ^ and ~ are data (the ZPL II guide:
	// "all control prefixes and flow control characters are ignored until
	// the total number of bytes ... is received"), else ASCII up to the
	// next prefix.
	dl     []byte
	dlIn   bool // it arrived inside a format and is part of it
	dlNeed int  // binary bytes still to come; dlHeader, dlASCII
}

const (
	dlHeader = -1
	dlASCII  = -2
	// maxDYHeader bounds "d:f,b,x,t,w," of a ~DY.
	maxDYHeader = 256
)

// download consumes a ~DY download's bytes from data[i:] and returns the
// index after them; evs gets the download when it is complete.
func (s *splitter) download(data []byte, i int, evs *[]event) int {
	for i < len(data) && s.dl != nil {
		switch s.dlNeed {
		case dlHeader:
			c := data[i]
			if c == '^' || c == '~' || len(s.dl) > maxDYHeader {
				s.endDownload(evs) // a broken header: what came is passed on
				return i
			}
			s.dl = append(s.dl, c)
			i++
			if c == ',' && bytes.Count(s.dl, []byte(",")) == 5 {
				s.dlNeed = dlASCII
				ps := bytes.Split(s.dl[3:], []byte(","))
				f := bytes.ToUpper(bytes.TrimSpace(ps[1]))
				if n, err := strconv.Atoi(string(bytes.TrimSpace(ps[3]))); err == nil && n >= 0 && n <= maxFormat && (string(f) == "B" || string(f) == "C") {
					s.dlNeed = n
					if n == 0 {
						s.endDownload(evs)
					}
				}
			}
		case dlASCII:
			j := bytes.IndexAny(data[i:], "^~")
			if j < 0 {
				j = len(data) - i
			}
			s.dl = append(s.dl, data[i:i+j]...)
			i += j
			if i < len(data) || len(s.dl) > maxFormat {
				s.endDownload(evs)
			}
		default:
			n := min(s.dlNeed, len(data)-i)
			s.dl = append(s.dl, data[i:i+n]...)
			s.dlNeed -= n
			i += n
			if s.dlNeed == 0 {
				s.endDownload(evs)
			}
		}
	}
	return i
}

func (s *splitter) endDownload(evs *[]event) {
	if s.dlIn {
		s.cur = append(s.cur, s.dl...)
	} else {
		*evs = append(*evs, event{kind: evDownload, data: s.dl})
	}
	s.dl = nil
}

func upper(b byte) byte {
	if b >= 'a' && b <= 'z' {
		return b - 'a' + 'A'
	}
	return b
}

// immediate reports whether a ~ command acts at once, even inside a format.
func immediate(cmd string) bool {
	switch cmd {
	case "HS", "HI", "PP", "PS", "JA":
		return true
	}
	return len(cmd) == 4 && cmd[:2] == "HQ"
}

func (s *splitter) feed(b []byte) []event {
	var evs []event
	data := b
	if len(s.carry) > 0 {
		data = append(s.carry, b...)
		s.carry = nil
	}
	start, end := 0, len(data) // start: first byte not yet added to cur
	i := 0
	if s.dl != nil { // a download continues
		i = s.download(data, 0, &evs)
		start = i
	}
	for i < len(data) {
		j := bytes.IndexAny(data[i:], "^~!")
		if j < 0 {
			break
		}
		i += j
		if data[i] == '!' {
			if s.inFormat {
				i++
				continue
			}
			// An SGD command runs to the end of its line.
			nl := bytes.IndexByte(data[i:], '\n')
			if nl < 0 {
				if len(data)-i <= maxSGD {
					s.carry, end = append([]byte(nil), data[i:]...), i
				}
				break
			}
			evs = append(evs, event{kind: evSGD, cmd: string(bytes.TrimRight(data[i:i+nl], "\r"))})
			i += nl + 1
			start = i
			continue
		}
		if len(data)-i < 3 {
			s.carry, end = append([]byte(nil), data[i:]...), i
			break
		}
		c := data[i]
		cmd := string([]byte{upper(data[i+1]), upper(data[i+2])})
		size := 3
		if c == '~' && cmd == "HQ" {
			if len(data)-i < 5 {
				s.carry, end = append([]byte(nil), data[i:]...), i
				break
			}
			cmd += string([]byte{upper(data[i+3]), upper(data[i+4])})
			size = 5
		}
		switch {
		case c == '~' && cmd == "DY":
			if s.inFormat {
				s.cur = append(s.cur, data[start:i]...)
			}
			s.dl, s.dlIn, s.dlNeed = append(make([]byte, 0, 4096), data[i:i+3]...), s.inFormat, dlHeader
			i = s.download(data, i+3, &evs)
			start = i
		case c == '~' && (immediate(cmd) || !s.inFormat):
			if s.inFormat {
				s.cur = append(s.cur, data[start:i]...)
			}
			if cmd == "JA" && s.inFormat { // cancel all: the format arriving too
				evs = append(evs, event{kind: evDropped, data: s.cur, ja: true})
				s.cur, s.inFormat = nil, false
			}
			evs = append(evs, event{kind: evControl, cmd: cmd, in: s.inFormat})
			i += size
			start = i
		case c == '^' && cmd == "XA":
			if s.inFormat {
				evs = append(evs, event{kind: evDropped, data: append(s.cur, data[start:i]...)})
			}
			s.inFormat = true
			s.cur = append(make([]byte, 0, 4096), data[i:i+3]...)
			i += 3
			start = i
		case c == '^' && cmd == "XZ" && s.inFormat:
			f := append(s.cur, data[start:i+3]...)
			evs = append(evs, event{kind: evFormat, data: f[:len(f):len(f)]})
			s.cur, s.inFormat = nil, false
			i += 3
			start = i
		default:
			i++
		}
	}
	if s.inFormat {
		s.cur = append(s.cur, data[start:end]...)
		if len(s.cur) > maxFormat {
			s.cur, s.inFormat = nil, false // dropped, like a printer out of memory
		}
	}
	return evs
}
