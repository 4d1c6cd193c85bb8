package service

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheck asks the running projector's /readyz whether it is ready. It
// is what `<service> healthcheck` runs: images built FROM scratch have no
// curl, so the binary checks itself (docker compose healthcheck).
func healthcheck(httpAddr string, stderr io.Writer) int {
	host, port, err := net.SplitHostPort(httpAddr)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "healthcheck: HTTP_ADDR: %v\n", err)
		return 2
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/readyz", nil)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return 1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return 1
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		_, _ = fmt.Fprintf(stderr, "healthcheck: %s: %s", resp.Status, body)
		return 1
	}
	return 0
}
