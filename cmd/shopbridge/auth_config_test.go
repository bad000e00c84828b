package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAuthSectionDefaultsAndProblems(t *testing.T) {
	cfg, err := ParseConfig("t.yaml", []byte(validConfig), env(map[string]string{"KEY": "k", "AT": "a", "RT": "r"}))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.AuthConfig()
	if a.RefreshMargin != 30*time.Minute || a.LinkTTL != 10*time.Minute || a.ExpiryWarning != 7*24*time.Hour {
		t.Fatalf("defaults: %+v", a)
	}
	if a.PublicURL != "http://127.0.0.1:8080" {
		t.Fatalf("public URL without http.public_url: %q", a.PublicURL)
	}

	y := validConfig + "http: {listen: \"0.0.0.0:9000\", public_url: \"https://bridge.example.com/\"}\n" +
		"auth: {refresh_margin: 5h, link_ttl: 2h, expiry_warning: 1m}\n"
	_, err = ParseConfig("t.yaml", []byte(y), env(map[string]string{"KEY": "k", "AT": "a", "RT": "r"}))
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("want a ConfigError, got %v", err)
	}
	want := []string{
		"auth.refresh_margin: 5h0m0s is outside 1m0s…3h0m0s (access tokens live 4h)",
		"auth.link_ttl: 2h0m0s is outside 1m0s…1h0m0s (the shop owner opens the link soon after it is sent)",
		"auth.expiry_warning: 1m0s is outside 1h0m0s…2160h0m0s (e.g. 168h for a week)",
	}
	if strings.Join(ce.Problems, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(ce.Problems, "\n"), strings.Join(want, "\n"))
	}

	cfg.HTTP.PublicURL = "https://bridge.example.com/"
	if got := cfg.PublicBaseURL(); got != "https://bridge.example.com" {
		t.Fatalf("public URL: %q", got)
	}
	cfg.HTTP.PublicURL, cfg.HTTP.Listen = "", "0.0.0.0:9000"
	if got := cfg.PublicBaseURL(); got != "http://127.0.0.1:9000" {
		t.Fatalf("public URL for a wildcard listener: %q", got)
	}
}

func TestExampleConfigHasAuthSection(t *testing.T) {
	if !strings.Contains(exampleConfig, "\nauth:\n  refresh_margin: 30m") {
		t.Fatal("the example config should show the auth section")
	}
}
