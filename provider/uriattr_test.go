package provider_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
)

func TestURIDuration(t *testing.T) {
	const def, lo, hi = time.Hour, time.Millisecond, time.Minute
	tests := []struct {
		uri     string
		want    time.Duration
		wantErr string // "" for success; else a part of the message
	}{
		{"x:a=1", def, ""},
		{"x:d=250ms", 250 * time.Millisecond, ""},
		{"x:d=1ms", lo, ""},
		{"x:d=1m", hi, ""},
		{"x:d=999us", 0, "x d=\"999us\"; write a Go duration from 1ms to 1m0s"},
		{"x:d=61s", 0, "from 1ms to 1m0s"},
		{"x:d=ten", 0, "such as 250ms or 1h"},
		{"x:d=", 0, "x d=\"\""},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			got, err := provider.MustParseURI(tt.uri).Duration("d", def, lo, hi)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Duration = %v, %v; want %v", got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Duration error = %v; want ErrInvalidConfig containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestURIInt(t *testing.T) {
	tests := []struct {
		uri     string
		want    int
		wantErr string
	}{
		{"x:a=1", 3, ""},
		{"x:n=1", 1, ""},
		{"x:n=10", 10, ""},
		{"x:n=0", 0, "x n=\"0\"; write a whole number from 1 to 10"},
		{"x:n=11", 0, "from 1 to 10"},
		{"x:n=2.5", 0, "whole number"},
		{"x:n=", 0, "x n=\"\""},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			got, err := provider.MustParseURI(tt.uri).Int("n", 3, 1, 10)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Int = %v, %v; want %v", got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Int error = %v; want ErrInvalidConfig containing %q", err, tt.wantErr)
			}
		})
	}
}
