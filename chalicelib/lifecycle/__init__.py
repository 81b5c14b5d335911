"""A customer's end: deletion and merging, which reach into every domain that holds something of a customer.

Above the domains on purpose (an orchestrator): the customers package stays free of links, files, exports,
the portal's conversations and the audit log."""
