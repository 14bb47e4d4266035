// copyscope: measures how Linux moves network data. See harness/cli/cli.h.
#include "harness/cli/cli.h"

int main(int argc, char** argv) { return copyscope::cli::Main(argc, argv); }
