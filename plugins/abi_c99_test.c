/* Compiles the ABI header as strict C99 and checks its size macros. */
#include <stddef.h>
#include <string.h>

#include "plugins/copyscope_transport.h"

int main(void) {
  /* The struct_size macros count up to the last field, never beyond. */
  if (CS_TRANSPORT_STRUCT_SIZE > sizeof(cs_transport)) return 1;
  if (CS_TRANSPORT_STRUCT_SIZE <= offsetof(cs_transport, last_error)) return 1;
  if (CS_HOST_STRUCT_SIZE > sizeof(cs_host)) return 1;
  if (CS_RECV_ARGS_STRUCT_SIZE > sizeof(cs_recv_args)) return 1;
  if (CS_ENDPOINT_CONFIG_STRUCT_SIZE > sizeof(cs_endpoint_config)) return 1;
  if (CS_ENDPOINT_CONFIG_STRUCT_SIZE_1_1 >= CS_ENDPOINT_CONFIG_STRUCT_SIZE) {
    return 1;
  }
  if (CS_RECV_ARGS_STRUCT_SIZE_1_0 >= CS_RECV_ARGS_STRUCT_SIZE) return 1;
  {
    /* The accessors compile as C99 and read nothing beyond struct_size. */
    cs_endpoint_config c;
    cs_recv_args a;
    memset(&c, 0, sizeof(c));
    memset(&a, 0, sizeof(a));
    c.struct_size = CS_ENDPOINT_CONFIG_STRUCT_SIZE_1_1;
    c.socket_type = CS_SOCKET_DATAGRAM;
    if (CS_ENDPOINT_CONFIG_SOCKET_TYPE(&c) != CS_SOCKET_STREAM) return 1;
    a.struct_size = CS_RECV_ARGS_STRUCT_SIZE;
    CS_RECV_ARGS_SET_RECEIVED(&a, 5);
    if (a.received != 5 || CS_RECV_ARGS_TIMEOUT_MS(&a) != 0) return 1;
  }
  return 0;
}
