// nats-group-bench: the NATS JetStream counterpart of `broker-bench group`, run by
// scripts/bench-group-vs-nats.sh.
//
// It creates a file-storage stream over -subjects subjects (bench.0, bench.1, ...: the
// partitions), publishes -count messages of -size bytes to them in turn (asynchronous publishes,
// not timed), then -consumers pull subscribers, each on its own connection, bound to one durable
// pull consumer with explicit acks, fetch batches of -batch messages and acknowledge every message
// individually. -ack async uses Msg.Ack() (fire and forget, as `nats bench` does); -ack sync uses
// Msg.AckSync() (waits for the server's reply to each ack, in a goroutine per message so that acks
// overlap, as broker-bench's members do). The throughput is from the first fetched message to the
// last acknowledgement (after a flush, so that the server has taken every ack); latency is from a
// message's arrival in the client to the return of its ack call. At the end it checks that every
// stream sequence was acknowledged once (redeliveries are counted) and that the consumer has
// nothing pending.
//
// Build (Debian's packages, GOPATH mode, no module download):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o nats-group-bench main.go
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

type result struct {
	Name               string             `json:"name"`
	Messages           int                `json:"messages"`
	Seconds            float64            `json:"seconds"`
	MessagesPerSecond  float64            `json:"messages_per_second"`
	MegabytesPerSecond float64            `json:"megabytes_per_second"`
	PublishPerSecond   float64            `json:"publish_messages_per_second"`
	LatencyMs          map[string]float64 `json:"latency_ms"`
	Redelivered        int                `json:"redelivered"`
	AckErrors          int64              `json:"ack_errors"`
	Complete           bool               `json:"complete"`
	ServerVersion      string             `json:"server_version"`
	ClientVersion      string             `json:"client_version"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "nats-group-bench: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	url := flag.String("server", "nats://127.0.0.1:4222", "the NATS server")
	stream := flag.String("stream", "BENCH", "the stream (deleted and created again)")
	subjects := flag.Int("subjects", 8, "subjects (partitions) the messages are spread over")
	count := flag.Int("count", 1000000, "messages to publish and consume")
	size := flag.Int("size", 100, "bytes per message")
	consumers := flag.Int("consumers", 2, "pull subscribers, each on its own connection")
	batch := flag.Int("batch", 1000, "messages per fetch")
	maxAckPending := flag.Int("max-ack-pending", 8000, "the consumer's MaxAckPending")
	ackMode := flag.String("ack", "async", "async: Msg.Ack(); sync: Msg.AckSync()")
	asJSON := flag.Bool("json", false, "print one JSON object")
	flag.Parse()
	if *ackMode != "async" && *ackMode != "sync" {
		fail("-ack must be async or sync")
	}

	nc, err := nats.Connect(*url)
	if err != nil {
		fail("connect: %v", err)
	}
	defer nc.Close()
	js, err := nc.JetStream(nats.PublishAsyncMaxPending(4096))
	if err != nil {
		fail("jetstream: %v", err)
	}
	_ = js.DeleteStream(*stream)
	if _, err := js.AddStream(&nats.StreamConfig{
		Name:     *stream,
		Subjects: []string{"bench.>"},
		Storage:  nats.FileStorage,
	}); err != nil {
		fail("add stream: %v", err)
	}

	// Publish first (not part of the figure).
	payload := make([]byte, *size)
	for i := range payload {
		payload[i] = 'v'
	}
	publishStart := time.Now()
	for i := 0; i < *count; i++ {
		for {
			_, err := js.PublishAsync("bench."+strconv.Itoa(i%*subjects), payload)
			if err == nil {
				break
			}
			// nats.go 1.22 has no exported value for this error, only its text.
			if !strings.Contains(err.Error(), "stalled with too many outstanding") {
				fail("publish: %v", err)
			}
			// The server is behind: let the outstanding publishes complete, then go on.
			<-js.PublishAsyncComplete()
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(5 * time.Minute):
		fail("publishes not acknowledged after 5 minutes")
	}
	publishRate := float64(*count) / time.Since(publishStart).Seconds()
	info, err := js.StreamInfo(*stream)
	if err != nil || info.State.Msgs != uint64(*count) {
		fail("stream holds %v messages, %d expected (%v)", info.State.Msgs, *count, err)
	}
	first := info.State.FirstSeq

	if _, err := js.AddConsumer(*stream, &nats.ConsumerConfig{
		Durable:       "bench",
		AckPolicy:     nats.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: *maxAckPending,
		DeliverPolicy: nats.DeliverAllPolicy,
	}); err != nil {
		fail("add consumer: %v", err)
	}

	seen := make([]uint32, *count)
	var acknowledged, ackErrors int64
	var firstDelivery, lastAck int64 // unix nanoseconds
	latencies := make([][]float64, *consumers)
	var wg sync.WaitGroup
	for c := 0; c < *consumers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			conn, err := nats.Connect(*url)
			if err != nil {
				fail("connect: %v", err)
			}
			defer conn.Close()
			cjs, _ := conn.JetStream()
			sub, err := cjs.PullSubscribe("bench.>", "bench", nats.Bind(*stream, "bench"))
			if err != nil {
				fail("pull subscribe: %v", err)
			}
			var mine []float64
			var pending sync.WaitGroup
			var mu sync.Mutex
			for atomic.LoadInt64(&acknowledged) < int64(*count) {
				msgs, err := sub.Fetch(*batch, nats.MaxWait(200*time.Millisecond))
				if err != nil && err != nats.ErrTimeout {
					fail("fetch: %v", err)
				}
				arrived := time.Now()
				if len(msgs) > 0 {
					atomic.CompareAndSwapInt64(&firstDelivery, 0, arrived.UnixNano())
				}
				for _, m := range msgs {
					meta, err := m.Metadata()
					if err != nil {
						fail("metadata: %v", err)
					}
					index := int(meta.Sequence.Stream - first)
					done := func(err error) {
						now := time.Now()
						if err != nil {
							atomic.AddInt64(&ackErrors, 1)
							return
						}
						if atomic.AddUint32(&seen[index], 1) == 1 {
							atomic.AddInt64(&acknowledged, 1)
						}
						mu.Lock()
						mine = append(mine, float64(now.Sub(arrived).Nanoseconds())/1e6)
						mu.Unlock()
					}
					if *ackMode == "async" {
						done(m.Ack())
					} else {
						pending.Add(1)
						go func(m *nats.Msg) {
							defer pending.Done()
							done(m.AckSync())
						}(m)
					}
				}
				if *ackMode == "sync" {
					pending.Wait()
				}
				if len(msgs) > 0 && atomic.LoadInt64(&acknowledged) >= int64(*count) {
					// This fetch finished the run: the end is once the server has taken its acks
					// (a flush is a round trip behind them on this connection).
					if err := conn.Flush(); err != nil {
						fail("flush: %v", err)
					}
					now := time.Now().UnixNano()
					for {
						last := atomic.LoadInt64(&lastAck)
						if now <= last || atomic.CompareAndSwapInt64(&lastAck, last, now) {
							break
						}
					}
				}
			}
			if err := conn.Flush(); err != nil {
				fail("flush: %v", err)
			}
			latencies[c] = mine
		}(c)
	}
	wg.Wait()

	seconds := float64(lastAck-firstDelivery) / 1e9
	redelivered := 0
	for _, n := range seen {
		if n > 1 {
			redelivered += int(n - 1)
		}
	}
	ci, err := js.ConsumerInfo(*stream, "bench")
	complete := err == nil && ci.NumAckPending == 0 && ci.NumPending == 0 && int(acknowledged) == *count
	var all []float64
	for _, l := range latencies {
		all = append(all, l...)
	}
	sort.Float64s(all)
	pct := func(f float64) float64 {
		if len(all) == 0 {
			return 0
		}
		i := int(math.Ceil(float64(len(all))*f)) - 1
		if i < 0 {
			i = 0
		}
		return all[i]
	}
	r := result{
		Name: fmt.Sprintf("nats jetstream pull ack=%s size=%dB subjects=%d consumers=%d batch=%d max-ack-pending=%d",
			*ackMode, *size, *subjects, *consumers, *batch, *maxAckPending),
		Messages:           int(acknowledged),
		Seconds:            seconds,
		MessagesPerSecond:  float64(acknowledged) / seconds,
		MegabytesPerSecond: float64(acknowledged) * float64(*size) / seconds / 1e6,
		PublishPerSecond:   publishRate,
		LatencyMs:          map[string]float64{"p50": pct(0.5), "p99": pct(0.99), "p999": pct(0.999), "max": pct(1)},
		Redelivered:        redelivered,
		AckErrors:          ackErrors,
		Complete:           complete,
		ServerVersion:      nc.ConnectedServerVersion(),
		ClientVersion:      nats.Version,
	}
	if *asJSON {
		out, _ := json.Marshal(r)
		fmt.Println(string(out))
	} else {
		fmt.Printf("%s: %.0f msg/s, %.1f MB/s (%d messages in %.3f s); latency arrival to ack ms: p50 %.3f p99 %.3f p999 %.3f max %.3f\n",
			r.Name, r.MessagesPerSecond, r.MegabytesPerSecond, r.Messages, r.Seconds,
			r.LatencyMs["p50"], r.LatencyMs["p99"], r.LatencyMs["p999"], r.LatencyMs["max"])
		fmt.Printf("check: %d/%d acknowledged, %d redelivered, %d failed acks: complete=%v (published at %.0f msg/s; server %s, nats.go %s)\n",
			r.Messages, *count, r.Redelivered, r.AckErrors, r.Complete, publishRate, r.ServerVersion, r.ClientVersion)
	}
	if !complete {
		os.Exit(1)
	}
}
