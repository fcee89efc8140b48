package emulator

import "bytes"

type eventKind int

const (
	evFormat  eventKind = iota // a complete ^XA…^XZ format
	evControl                  // a ~ command outside a format, e.g. "HS", "HQES"
)

type event struct {
	kind eventKind
	data []byte
	cmd  string
}

// maxFormat bounds one format in memory; a stream that never sends ^XZ
// must not exhaust the emulator.
const maxFormat = 64 << 20

// splitter turns a byte stream, in pieces of any size, into formats and
// control commands, as a ZPL printer's parser does.
type splitter struct {
	inFormat bool
	cur      []byte // the format being received
	carry    []byte // an incomplete command at the end of the last piece
}

func upper(b byte) byte {
	if b >= 'a' && b <= 'z' {
		return b - 'a' + 'A'
	}
	return b
}

func (s *splitter) feed(b []byte) []event {
	var evs []event
	for len(b) > 0 {
		if s.inFormat {
			start := max(len(s.cur)-2, 0)
			s.cur = append(s.cur, b...)
			idx := indexXZ(s.cur[start:])
			if idx < 0 {
				if len(s.cur) > maxFormat {
					s.cur, s.inFormat = nil, false // drop it, like a printer out of memory
				}
				return evs
			}
			end := start + idx + 3
			evs = append(evs, event{kind: evFormat, data: s.cur[:end:end]})
			b = s.cur[end:]
			s.cur, s.inFormat = nil, false
			continue
		}
		data := append(s.carry, b...)
		s.carry, b = nil, nil
		for i := 0; i < len(data); i++ {
			c := data[i]
			if c != '^' && c != '~' {
				continue
			}
			if len(data)-i < 3 {
				s.carry = append([]byte(nil), data[i:]...)
				break
			}
			cmd := string([]byte{upper(data[i+1]), upper(data[i+2])})
			if c == '^' && cmd == "XA" {
				s.inFormat = true
				s.cur = append(make([]byte, 0, 4096), data[i:i+3]...)
				b = data[i+3:]
				break
			}
			if c == '~' {
				if cmd == "HQ" {
					if len(data)-i < 5 {
						s.carry = append([]byte(nil), data[i:]...)
						break
					}
					cmd += string([]byte{upper(data[i+3]), upper(data[i+4])})
					i += 2
				}
				evs = append(evs, event{kind: evControl, cmd: cmd})
				i += 2
			}
		}
	}
	return evs
}

// indexXZ finds ^XZ (any case).
func indexXZ(b []byte) int {
	off := 0
	for {
		i := bytes.IndexByte(b[off:], '^')
		if i < 0 || off+i+3 > len(b) {
			return -1
		}
		j := off + i
		if upper(b[j+1]) == 'X' && upper(b[j+2]) == 'Z' {
			return j
		}
		off = j + 1
	}
}
