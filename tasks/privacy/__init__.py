"""Shopify's compliance requests: forget a customer, forget the shop, export what shopsync holds."""
