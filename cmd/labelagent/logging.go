package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/kardianos/service"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
)

// openLog builds the agent's logger. Logs go to the system's place for them
// — standard error, which systemd's journal or the SysV script's log file
// collects; under the Windows service manager, which has no standard
// error, the Event Log (sys) — plus the configured log file, rotated by
// lumberjack.
func openLog(cfg *config.Config, stderr io.Writer, sys service.Logger) (*slog.Logger, func(), error) {
	opts := &slog.HandlerOptions{Level: parseLevel(cfg.Log.Level)}
	handler := func(w io.Writer) slog.Handler {
		if cfg.Log.Format == "json" {
			return slog.NewJSONHandler(w, opts)
		}
		return slog.NewTextHandler(w, opts)
	}
	var hs []slog.Handler
	if sys != nil {
		hs = append(hs, &eventLogHandler{sys: sys, level: opts.Level.Level()})
	} else {
		hs = append(hs, handler(stderr))
	}
	closer := func() {}
	if cfg.Log.File != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.Log.File), 0o750); err != nil {
			return nil, nil, i18n.Wrap(err, "cli.log_file", "file", cfg.Log.File)
		}
		// Fail now, with the file's name, rather than lose every line later.
		f, err := os.OpenFile(cfg.Log.File, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			return nil, nil, i18n.Wrap(err, "cli.log_file", "file", cfg.Log.File)
		}
		f.Close()
		lj := &lumberjack.Logger{
			Filename:   cfg.Log.File,
			MaxSize:    orDefault(cfg.Log.MaxSizeMB, 10),
			MaxBackups: orDefault(cfg.Log.MaxFiles, 5),
			MaxAge:     orDefault(cfg.Log.MaxAgeDays, 30),
			Compress:   true,
		}
		hs = append(hs, handler(lj))
		closer = func() { lj.Close() }
	}
	if len(hs) == 1 {
		return slog.New(hs[0]), closer, nil
	}
	return slog.New(slog.NewMultiHandler(hs...)), closer, nil
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// eventLogHandler writes records to the service manager's log (the Windows
// Event Log) as one text line each, with the record's level as the event
// type.
type eventLogHandler struct {
	sys   service.Logger
	level slog.Level
	attrs []slog.Attr
	group string
}

func (h *eventLogHandler) Enabled(_ context.Context, l slog.Level) bool {
	// Debug lines would flood the Event Log; they belong in the log file.
	return l >= h.level && l >= slog.LevelInfo
}

func (h *eventLogHandler) Handle(_ context.Context, r slog.Record) error {
	var buf bytes.Buffer
	th := slog.Handler(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
				return slog.Attr{} // the Event Log has its own
			}
			return a
		},
	}))
	if len(h.attrs) > 0 {
		th = th.WithAttrs(h.attrs)
	}
	if h.group != "" {
		th = th.WithGroup(h.group)
	}
	if err := th.Handle(context.Background(), r); err != nil {
		return err
	}
	line := bytes.TrimSpace(buf.Bytes())
	switch {
	case r.Level >= slog.LevelError:
		return h.sys.Error(string(line))
	case r.Level >= slog.LevelWarn:
		return h.sys.Warning(string(line))
	}
	return h.sys.Info(string(line))
}

func (h *eventLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), as...)
	return &c
}

func (h *eventLogHandler) WithGroup(name string) slog.Handler {
	c := *h
	if c.group != "" {
		name = c.group + "." + name
	}
	c.group = name
	return &c
}
