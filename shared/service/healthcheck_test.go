package service

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHealthcheck(t *testing.T) {
	ready := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		if !ready {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	port := addr[strings.LastIndex(addr, ":"):]

	var stderr bytes.Buffer
	assert.Equal(t, 0, healthcheck(addr, &stderr))
	assert.Equal(t, 0, healthcheck(port, &stderr), "HTTP_ADDR without a host means this host")
	ready = false
	assert.Equal(t, 1, healthcheck(addr, &stderr))
	assert.Contains(t, stderr.String(), "503")
	srv.Close()
	assert.Equal(t, 1, healthcheck(addr, &stderr), "nothing listening")
	assert.Equal(t, 2, healthcheck("no-port", &stderr))
}
