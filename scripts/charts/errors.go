package charts

import "errors"

var (
	// ErrNilWriter is returned when a chart is asked to render into a nil writer.
	ErrNilWriter = errors.New("charts: writer is nil")
	// ErrSizeOutOfRange is returned for a Width or Height outside
	// [MinWidth, MaxSize] or [MinHeight, MaxSize].
	ErrSizeOutOfRange = errors.New("charts: chart size out of range")
	// ErrBinsOutOfRange is returned for a histogram Bins outside [0, MaxBins]
	// (0 means DefaultBins).
	ErrBinsOutOfRange = errors.New("charts: histogram bins out of range")
)
