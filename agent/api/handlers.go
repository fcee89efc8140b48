package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/packing"
)

// jobIn is job j in the words of the request's reader (Accept-Language).
func (s *Server) jobIn(r *http.Request, j apitype.Job) apitype.Job {
	return agent.JobIn(j, i18n.For(s.Lang(r)))
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.a.Health())
}

// submit takes a job as JSON (payload in base64) or as a raw body with the
// other fields in the query string — the raw form saves a third of the bytes
// and lets `curl --data-binary @label.zpl` print.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	limit := int64(s.a.Config().Jobs.MaxPayload)
	var req apitype.SubmitRequest
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		// base64 grows the payload by 4/3; allow for the other fields too.
		if err := DecodeJSON(w, r, limit/3*4+64<<10, &req); err != nil {
			s.fail(w, r, err)
			return
		}
	} else {
		q := r.URL.Query()
		for k := range q {
			switch k {
			case "printer", "kind", "copies", "idempotency_key", "name", "source":
			default:
				s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "api.unknown_param", "name", k))
				return
			}
		}
		req.Printer, req.Kind = q.Get("printer"), apitype.Kind(q.Get("kind"))
		req.IdempotencyKey, req.Name, req.Source = q.Get("idempotency_key"), q.Get("name"), q.Get("source")
		if c := q.Get("copies"); c != "" {
			n, err := strconv.Atoi(c)
			if err != nil {
				s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "api.copies_not_number", "value", c))
				return
			}
			req.Copies = n
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				err = Refuse(http.StatusRequestEntityTooLarge, apitype.CodeTooLarge, "api.payload_too_large", "limit", s.a.Config().Jobs.MaxPayload.String())
			}
			s.fail(w, r, err)
			return
		}
		req.Payload = body
	}
	if k := r.Header.Get("Idempotency-Key"); k != "" && req.IdempotencyKey == "" {
		req.IdempotencyKey = k
	}
	job, existing, err := s.a.Submit(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if existing {
		status = http.StatusOK
	}
	w.Header().Set("Location", "/api/v1/jobs/"+job.ID)
	writeJSON(w, status, apitype.SubmitResponse{Job: s.jobIn(r, job), Existing: existing})
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := agent.JobFilter{Printer: q.Get("printer"), State: apitype.JobState(q.Get("state")), Before: q.Get("before")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 10000 {
			s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "api.bad_limit", "value", l, "max", 10000))
			return
		}
		f.Limit = n
	}
	jobs, err := s.a.Jobs(f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range jobs {
		jobs[i] = s.jobIn(r, jobs[i])
	}
	writeJSON(w, http.StatusOK, apitype.JobList{Jobs: jobs})
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	j, err := s.a.Job(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.jobIn(r, j))
}

func (s *Server) getPayload(w http.ResponseWriter, r *http.Request) {
	j, p, err := s.a.Payload(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ct := map[apitype.Kind]string{
		apitype.KindPDF: "application/pdf", apitype.KindPNG: "image/png",
		apitype.KindZPL: "text/plain; charset=utf-8", apitype.KindRaw: "application/octet-stream",
	}[j.Kind]
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(p)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(p)
}

func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) {
	j, err := s.a.Cancel(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.jobIn(r, j))
}

func (s *Server) retryJob(w http.ResponseWriter, r *http.Request) {
	j, err := s.a.Retry(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.jobIn(r, j))
}

func (s *Server) listPrinters(w http.ResponseWriter, r *http.Request) {
	list, l := s.a.Printers(), i18n.For(s.Lang(r))
	for i := range list {
		list[i] = agent.PrinterIn(list[i], l)
	}
	writeJSON(w, http.StatusOK, apitype.PrinterList{Printers: list})
}

func (s *Server) getPrinter(w http.ResponseWriter, r *http.Request) {
	p, err := s.a.Printer(r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, agent.PrinterIn(p, i18n.For(s.Lang(r))))
}

func (s *Server) pausePrinter(w http.ResponseWriter, r *http.Request) {
	p, err := s.a.PausePrinter(r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, agent.PrinterIn(p, i18n.For(s.Lang(r))))
}

func (s *Server) resumePrinter(w http.ResponseWriter, r *http.Request) {
	p, err := s.a.ResumePrinter(r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, agent.PrinterIn(p, i18n.For(s.Lang(r))))
}

// events streams job and printer changes as server-sent events. A comment
// line every 15 s keeps proxies and idle timers from closing the stream.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	sub := s.a.Subscribe(256)
	defer sub.Close()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, ": labelagent events\n\n"); err != nil {
		return
	}
	_ = rc.Flush()
	l := i18n.For(s.Lang(r))
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
				return
			}
		case e, ok := <-sub.C():
			if !ok {
				return // the agent is stopping
			}
			if e.Job != nil {
				// The bus words it in the agent's language; the
				// subscriber reads its own.
				j := agent.JobIn(*e.Job, l)
				e.Job = &j
			}
			if e.Scan != nil {
				sc := packing.MessageIn(*e.Scan, l)
				e.Scan = &sc
			}
			if e.Printer != nil {
				p := agent.PrinterIn(*e.Printer, l)
				e.Printer = &p
			}
			data, err := json.Marshal(e)
			if err != nil {
				continue
			}
			if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, data); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
