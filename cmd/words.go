package cmd

// wordError words an error from the packages below cmd.
func wordError(err error) string { return err.Error() }
