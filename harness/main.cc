// copyscope: measures how Linux moves network data. See harness/cli.h.
#include "harness/cli.h"

int main(int argc, char** argv) { return copyscope::harness::Main(argc, argv); }
