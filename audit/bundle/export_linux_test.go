package bundle

// SetAfterMap has f run once a bundle file is mapped, before any of it is
// read, and returns what restores the hook before.
func SetAfterMap(f func()) (restore func()) {
	old := afterMap
	afterMap = f
	return func() { afterMap = old }
}

// SetRelease sets how far behind the lines verified, and in steps of how
// many bytes, a mapped bundle's pages are dropped, and returns what
// restores the setting before.
func SetRelease(lag, step int) (restore func()) {
	oldLag, oldStep := releaseLag, releaseStep
	releaseLag, releaseStep = lag, step
	return func() { releaseLag, releaseStep = oldLag, oldStep }
}
