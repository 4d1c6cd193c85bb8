package charts

import "fmt"

// Chart sizes in pixels. The minimum leaves the plot area usable next to
// the legend column.
const (
	DefaultWidth  = 900
	DefaultHeight = 500
	MinWidth      = 480
	MinHeight     = 300
	MaxSize       = 10000
)

func defaultSize(width, height *int) {
	if *width == 0 {
		*width = DefaultWidth
	}
	if *height == 0 {
		*height = DefaultHeight
	}
}

func validateSize(width, height int) error {
	if width < MinWidth || width > MaxSize || height < MinHeight || height > MaxSize {
		return fmt.Errorf("%w: %dx%d, want %d..%d x %d..%d",
			ErrSizeOutOfRange, width, height, MinWidth, MaxSize, MinHeight, MaxSize)
	}
	return nil
}
