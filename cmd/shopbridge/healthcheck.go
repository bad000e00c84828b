package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

const healthcheckSynopsis = `  shopbridge healthcheck [--config shopbridge.yaml] [--url http://127.0.0.1:8080/healthz]
      ask the running bridge's /healthz (on the config's http.listen, or
      --url) and exit 0 when it answers healthy, 1 otherwise; for container
      health checks (the image has no shell, curl or wget)
`

// cmdHealthcheck is `shopbridge healthcheck`.
func cmdHealthcheck(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("healthcheck", healthcheckSynopsis)
	path := fs.String("config", "shopbridge.yaml", "path of the config file (its http.listen is probed)")
	target := fs.String("url", "", "the /healthz URL to probe instead of the config's listener")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if _, err := fs.parse(args, stdout, 0, 0); err != nil {
		return err
	}
	if *target == "" {
		cfg, err := LoadConfig(*path)
		if err != nil {
			return err
		}
		*target = "http://" + probeAddr(cfg.HTTP.Listen) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *target, nil)
	if err != nil {
		return usagef("healthcheck", "--url %q: %v", *target, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %s did not answer: %w", *target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	text := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unhealthy: %s answered %s: %s", *target, resp.Status, text)
	}
	fmt.Fprintln(stdout, text)
	return nil
}

// probeAddr is the address to reach a listener at from the same host: a
// wildcard host (":8080", "0.0.0.0:8080", "[::]:8080") is reached on the
// loopback.
func probeAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}
