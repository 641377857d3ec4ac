package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"pluginserver/plugin/linkedin/sandbox"
)

// TestGracefulShutdown: on SIGTERM the server stops taking requests but
// lets the one in flight finish.
func TestGracefulShutdown(t *testing.T) {
	fake := httptest.NewUnstartedServer(nil)
	linkedIn := sandbox.New(sandbox.Options{BaseURL: "http://" + fake.Listener.Addr().String()})
	arrived := make(chan struct{}, 1)
	fake.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/userinfo" {
			arrived <- struct{}{}
			time.Sleep(700 * time.Millisecond) // a slow LinkedIn
		}
		linkedIn.ServeHTTP(w, r)
	})
	fake.Start()
	defer fake.Close()
	s := startServer(t, with(sandbox.Env(fake.URL), "PLUGIN_SERVER_SHUTDOWN_GRACE", "10s"))
	id := s.authorizedDatasource()
	<-arrived // the userinfo read right after authorizing

	result := make(chan int, 1)
	go func() {
		status, _ := s.execute(builderKey, id, "getUserInfo", nil)
		result <- status
	}()
	<-arrived
	s.stop() // what SIGTERM does to run's context; returns once run has
	if status := <-result; status != 200 {
		t.Fatalf("the call in flight got %d", status)
	}
	if _, err := http.Get(s.url + "/healthz"); err == nil {
		t.Fatal("the server still takes requests after shutting down")
	}
}
