package agent

import (
	"os"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
)

// The words a person reads in a job (its history notes, its last error)
// come from the message catalog (agent/i18n, keys queuewords.*). A job
// keeps each message's id and arguments beside its English text, and
// JobIn words them in the reader's language. Jobs recorded before keep
// their English text, which is shown as it is; so are words that are not
// the agent's (a printer's or the system's, e.g. a dial error).

// msg names a catalog message with its key/value arguments.
func msg(id string, kv ...any) i18n.Message { return i18n.Message{ID: id, Args: kv} }

// kept is a message as a job's record keeps it: English text, id, args.
type kept struct {
	text, id string
	args     map[string]any
}

func keep(m i18n.Message) kept {
	args := i18n.Keep(m.Args)
	return kept{text: i18n.For(i18n.English).Kept(m.ID, args, m.ID), id: m.ID, args: args}
}

func keepErr(err error) kept {
	text, id, args := i18n.KeepErr(err)
	return kept{text: text, id: id, args: args}
}

// setLastError records why the job failed (nil clears it).
func setLastError(j *apitype.Job, err error) {
	k := keepErr(err)
	j.LastError, j.LastErrorID, j.LastErrorArgs = k.text, k.id, k.args
}

// JobIn is job j as reader l reads it: its last error and history notes
// in l's language where they are the catalog's.
func JobIn(j apitype.Job, l *i18n.Localizer) apitype.Job {
	j.LastError = l.Kept(j.LastErrorID, j.LastErrorArgs, j.LastError)
	if w := j.Wait; w != nil && w.DetailID != "" {
		c := *w
		c.Detail = l.Kept(c.DetailID, c.DetailArgs, c.Detail)
		j.Wait = &c
	}
	if len(j.History) > 0 {
		h := make([]apitype.Change, len(j.History))
		for i, c := range j.History {
			c.Note = l.Kept(c.ID, c.Args, c.Note)
			h[i] = c
		}
		j.History = h
	}
	return j
}

// Words is the localizer for what the agent says by itself (events on the
// bus, logs people read): its configured language, else the system's.
func (a *Agent) Words() *i18n.Localizer { return i18n.For(i18n.Detect(os.Getenv, a.cfg.Language)) }

// stateWord names a job state inside a sentence.
func stateWord(s apitype.JobState) i18n.Message { return msg("cli.state." + string(s)) }

// waitWords is why a job waits, as the catalog words it (keys wait.<code>).
func waitWords(r apitype.WaitReason) i18n.Message {
	return msg("wait."+r.Code, "printer", r.Printer, "detail", r.Detail, "ahead", r.Ahead)
}
