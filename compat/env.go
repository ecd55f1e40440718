package compat

import "os"

// Process environment and identity: os's own functions, re-exported so that
// a program importing this package as os finds them.

// Getwd returns the absolute name of the working directory, like os.Getwd.
func Getwd() (dir string, err error) { return os.Getwd() }

// Chdir changes the working directory, like os.Chdir.
func Chdir(dir string) error { return os.Chdir(dir) }

// TempDir returns the default directory for temporary files, like
// os.TempDir.
func TempDir() string { return os.TempDir() }

// UserHomeDir returns the current user's home directory, like
// os.UserHomeDir.
func UserHomeDir() (string, error) { return os.UserHomeDir() }

// UserCacheDir returns the directory for user-specific cached data, like
// os.UserCacheDir.
func UserCacheDir() (string, error) { return os.UserCacheDir() }

// UserConfigDir returns the directory for user-specific configuration, like
// os.UserConfigDir.
func UserConfigDir() (string, error) { return os.UserConfigDir() }

// Getenv returns the value of the environment variable key, like os.Getenv.
func Getenv(key string) string { return os.Getenv(key) }

// LookupEnv returns the value of the environment variable key and whether
// it is set, like os.LookupEnv.
func LookupEnv(key string) (string, bool) { return os.LookupEnv(key) }

// Setenv sets the environment variable key, like os.Setenv.
func Setenv(key, value string) error { return os.Setenv(key, value) }

// Unsetenv unsets the environment variable key, like os.Unsetenv.
func Unsetenv(key string) error { return os.Unsetenv(key) }

// Clearenv deletes all environment variables, like os.Clearenv.
func Clearenv() { os.Clearenv() }

// Environ returns the environment as "key=value" strings, like os.Environ.
func Environ() []string { return os.Environ() }

// Expand replaces ${var} and $var in s using mapping, like os.Expand.
func Expand(s string, mapping func(string) string) string { return os.Expand(s, mapping) }

// ExpandEnv replaces ${var} and $var in s with environment values, like
// os.ExpandEnv.
func ExpandEnv(s string) string { return os.ExpandEnv(s) }

// Hostname returns the host name reported by the kernel, like os.Hostname.
func Hostname() (name string, err error) { return os.Hostname() }

// Executable returns the path of the running executable, like
// os.Executable.
func Executable() (string, error) { return os.Executable() }

// Getpagesize returns the memory page size, like os.Getpagesize.
func Getpagesize() int { return os.Getpagesize() }

// Getpid returns the process id of the caller, like os.Getpid.
func Getpid() int { return os.Getpid() }

// Getppid returns the process id of the caller's parent, like os.Getppid.
func Getppid() int { return os.Getppid() }

// Getuid returns the numeric user id of the caller, like os.Getuid.
func Getuid() int { return os.Getuid() }

// Geteuid returns the numeric effective user id of the caller, like
// os.Geteuid.
func Geteuid() int { return os.Geteuid() }

// Getgid returns the numeric group id of the caller, like os.Getgid.
func Getgid() int { return os.Getgid() }

// Getegid returns the numeric effective group id of the caller, like
// os.Getegid.
func Getegid() int { return os.Getegid() }

// Getgroups returns the numeric ids of the caller's supplementary groups,
// like os.Getgroups.
func Getgroups() ([]int, error) { return os.Getgroups() }

// Exit ends the program with status code, like os.Exit: deferred functions
// do not run.
func Exit(code int) { os.Exit(code) }
