/* Compiles the ABI header as strict C99 and checks its size macros. */
#include <stddef.h>

#include "plugins/copyscope_transport.h"

int main(void) {
  /* The struct_size macros count up to the last field, never beyond. */
  if (CS_TRANSPORT_STRUCT_SIZE > sizeof(cs_transport)) return 1;
  if (CS_TRANSPORT_STRUCT_SIZE <= offsetof(cs_transport, last_error)) return 1;
  if (CS_HOST_STRUCT_SIZE > sizeof(cs_host)) return 1;
  if (CS_RECV_ARGS_STRUCT_SIZE > sizeof(cs_recv_args)) return 1;
  if (CS_ENDPOINT_CONFIG_STRUCT_SIZE > sizeof(cs_endpoint_config)) return 1;
  return 0;
}
