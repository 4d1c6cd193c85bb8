// Package logging builds the structured JSON logger every projector uses and
// carries per-message attributes (correlation id, event id) on the context,
// so that every log line written while handling a message names them.
package logging

import (
	"context"
	"io"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill"
)

// New returns a JSON logger at level that adds the attributes stored on the
// context with WithAttrs to every record logged with a *Context method.
func New(w io.Writer, level slog.Level, service string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	return slog.New(contextHandler{Handler: h}).With(slog.String("service", service))
}

// Watermill adapts logger for Watermill. Watermill's Info level is chatty
// (every subscriber start, every rebalance step), so it maps to Debug, and
// Trace to below Debug.
func Watermill(logger *slog.Logger) watermill.LoggerAdapter {
	return watermill.NewSlogLoggerWithLevelMapping(logger, map[slog.Level]slog.Level{
		watermill.LevelTrace: slog.LevelDebug - 4,
		slog.LevelInfo:       slog.LevelDebug,
	})
}

type attrsKey struct{}

// WithAttrs returns a context whose log records carry attrs, after any the
// context already carried.
func WithAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	prev, _ := ctx.Value(attrsKey{}).([]slog.Attr)
	merged := make([]slog.Attr, 0, len(prev)+len(attrs))
	merged = append(merged, prev...)
	merged = append(merged, attrs...)
	return context.WithValue(ctx, attrsKey{}, merged)
}

// Attrs returns the attributes stored on ctx by WithAttrs.
func Attrs(ctx context.Context) []slog.Attr {
	attrs, _ := ctx.Value(attrsKey{}).([]slog.Attr)
	return attrs
}

type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if attrs := Attrs(ctx); len(attrs) > 0 {
		r.AddAttrs(attrs...)
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{Handler: h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{Handler: h.Handler.WithGroup(name)}
}
