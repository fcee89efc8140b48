package station

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/station/stationtest"
)

// permissionServer starts a server whose users are an administrator, the
// back office (may send jobs) and stations st1 and st2 of the pool line
// with exactly the README's permissions.
func permissionServer(t *testing.T) *server.Server {
	t.Helper()
	users := []stationtest.User{{Name: "admin", Password: "admin"},
		{Name: "wms", Password: "wms", Permissions: `permissions: { publish: { allow: ["labelagent.jobs.>", "$JS.API.>"] }, subscribe: { allow: ["_INBOX.>"] } }`}}
	for _, st := range []string{"st1", "st2"} {
		perm, err := stationtest.ReadmePermissions(filepath.Join("..", "..", "README.md"), st, "line")
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, stationtest.User{Name: st, Password: "pw-" + st, Permissions: perm})
	}
	s, err := stationtest.Server(t.TempDir(), users...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// asStation connects with a station's credentials and its own inbox, and
// collects what the server refuses.
func asStation(t *testing.T, url, name string) (*nats.Conn, jetstream.JetStream, <-chan error) {
	t.Helper()
	errs := make(chan error, 64)
	nc, err := nats.Connect(url, nats.UserInfo(name, "pw-"+name), nats.CustomInboxPrefix(inboxPrefix+name),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case errs <- err:
			default:
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js, errs
}

// refused does what a station must not and wants the server's
// permissions violation for subject.
func refused(t *testing.T, errs <-chan error, what, subject string, do func(ctx context.Context) error) {
	t.Helper()
	for len(errs) > 0 {
		<-errs
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- do(ctx) }()
	for {
		select {
		case err := <-done:
			if err != nil && errors.Is(err, nats.ErrPermissionViolation) {
				return
			}
			done = nil // a request without an answer: the refusal comes on its own
		case err := <-errs:
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), subject) {
				return
			}
		case <-ctx.Done():
			t.Errorf("%s: the server did not refuse %s", what, subject)
			return
		}
	}
}

// TestStationPermissions runs two stations with exactly the README's
// permissions: each takes its own jobs and the pool's, acknowledges them,
// publishes its events and heartbeat and lists the stations; and each is
// refused another station's jobs, its inbox, its events and its key.
func TestStationPermissions(t *testing.T) {
	t.Parallel()
	srv := permissionServer(t)
	url := srv.ClientURL()
	ctx := context.Background()

	// The administrator's agent, started once, creates streams and buckets.
	admin := newStationAs(t, []string{url}, "setup", nil, "admin", "admin")
	adm := publisher(t, strings.Replace(url, "nats://", "nats://admin:admin@", 1))
	waitStream(t, adm, "KV_labelagent_stations_claims")
	admin.cancel()
	<-admin.done

	st1 := newStationAs(t, []string{url}, "st1", []string{"line"}, "st1", "pw-st1")
	st2 := newStationAs(t, []string{url}, "st2", []string{"line"}, "st2", "pw-st2")
	wms := publisher(t, strings.Replace(url, "nats://", "nats://wms:wms@", 1))
	for deadline := time.Now().Add(20 * time.Second); ; {
		if c, err := adm.Consumer(ctx, "LABELAGENT_JOBS", "pool-line"); err == nil {
			if info, err := c.Info(ctx); err == nil && info.NumWaiting >= 2 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stations never waited on the pool: st1 %+v, st2 %+v", st1.Status(), st2.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
	publish(t, wms, "labelagent.jobs.pool.line", 0, 20)
	publish(t, wms, "labelagent.jobs.station.st1", 20, 3)
	publish(t, wms, "labelagent.jobs.station.st2", 23, 3)
	waitJobs(t, 26, st1.q, st2.q)
	for _, s := range []*testStation{st1, st2} {
		if s.q.n() < 3 {
			t.Errorf("%s took %d jobs", s.cfg.Station, s.q.n())
		}
	}
	// Acknowledged: nothing left for either durable.
	for deadline := time.Now().Add(10 * time.Second); ; {
		left := uint64(0)
		for _, d := range []string{"station-st1", "station-st2", "pool-line"} {
			c, err := adm.Consumer(ctx, "LABELAGENT_JOBS", d)
			if err != nil {
				t.Fatal(err)
			}
			info, err := c.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			left += uint64(info.NumAckPending) + info.NumPending
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages not acknowledged", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Events, heartbeat and the station list work with these permissions.
	st1.events <- apitype.Event{Seq: 1, Type: apitype.EventJob, At: time.Now(), Job: &apitype.Job{ID: "j1", State: apitype.StateDone}}
	es, err := adm.Stream(ctx, "LABELAGENT_EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		si, _ := es.Info(ctx, jetstream.WithSubjectFilter("labelagent.events.st1.job"))
		list := st1.Stations(ctx)
		if si != nil && si.State.Subjects["labelagent.events.st1.job"] == 1 && len(list.Stations) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events %+v, stations %+v, status %+v", si, list, st1.Status())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := st1.Status(); st.LastError != "" && strings.Contains(strings.ToLower(st.LastError), "permission") {
		t.Errorf("st1 ran into a permission: %+v", st)
	}

	// What st1 must not do.
	nc, js, errs := asStation(t, url, "st1")
	publish(t, wms, "labelagent.jobs.station.st2", 100, 1) // one waits for st2 while st1 tries
	refused(t, errs, "take st2's jobs", "$JS.API.CONSUMER.MSG.NEXT.LABELAGENT_JOBS.station-st2", func(ctx context.Context) error {
		_, err := nc.RequestWithContext(ctx, "$JS.API.CONSUMER.MSG.NEXT.LABELAGENT_JOBS.station-st2", []byte(`{"batch":1}`))
		return err
	})
	refused(t, errs, "bind st2's durable", "$JS.API.CONSUMER.INFO.LABELAGENT_JOBS.station-st2", func(ctx context.Context) error {
		_, err := js.Consumer(ctx, "LABELAGENT_JOBS", "station-st2")
		return err
	})
	refused(t, errs, "a consumer of its own on st2's subject", "$JS.API.CONSUMER.CREATE.LABELAGENT_JOBS", func(ctx context.Context) error {
		_, err := js.CreateConsumer(ctx, "LABELAGENT_JOBS", jetstream.ConsumerConfig{Durable: "spy", FilterSubject: "labelagent.jobs.station.st2"})
		return err
	})
	refused(t, errs, "read a job from the stream", "$JS.API.STREAM.MSG.GET.LABELAGENT_JOBS", func(ctx context.Context) error {
		_, err := nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET.LABELAGENT_JOBS", []byte(`{"seq":1}`))
		return err
	})
	for _, subj := range []string{"labelagent.jobs.>", "_INBOX.st2.>", "_INBOX.>", "$JS.ACK.>"} {
		refused(t, errs, "listen to "+subj, subj, func(context.Context) error {
			_, err := nc.SubscribeSync(subj)
			return err
		})
	}
	refused(t, errs, "publish st2's events", "labelagent.events.st2.job", func(context.Context) error {
		return nc.Publish("labelagent.events.st2.job", []byte(`{}`))
	})
	refused(t, errs, "write st2's key", "$KV.labelagent_stations.st2", func(context.Context) error {
		return nc.Publish("$KV.labelagent_stations.st2", []byte(`{}`))
	})
	refused(t, errs, "send jobs", "labelagent.jobs.station.st2", func(context.Context) error {
		return nc.Publish("labelagent.jobs.station.st2", []byte(`{"kind":"zpl","payload":"XlhBXlha"}`))
	})
	refused(t, errs, "acknowledge st2's messages", "$JS.ACK.LABELAGENT_JOBS.station-st2.1.1.1.1.1.0", func(context.Context) error {
		return nc.Publish("$JS.ACK.LABELAGENT_JOBS.station-st2.1.1.1.1.1.0", []byte("+ACK"))
	})
	refused(t, errs, "delete a stream", "$JS.API.STREAM.DELETE.LABELAGENT_JOBS", func(ctx context.Context) error {
		return js.DeleteStream(ctx, "LABELAGENT_JOBS")
	})
	// And the job for st2 went to st2 alone.
	waitJobs(t, 27, st1.q, st2.q)
	if st1.q.has("nats:id:m100") || !st2.q.has("nats:id:m100") {
		t.Error("st2's job did not go to st2 alone")
	}
}
