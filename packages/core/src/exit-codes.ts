// Exit codes the contract fixes. Apart from the config loader (and its YAML
// parser): a program's --version needs this, not them.

/** Exit code for a config (or usage) error. */
export const EXIT_CONFIG = 2;
