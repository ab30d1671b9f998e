"""Browser screens of pricing: contracts and their condition grid, the price
simulator, what-if, price lists, the six discount levels and year-end rebates."""
