//! plumb: agentless compliance scanning of Linux hosts.
