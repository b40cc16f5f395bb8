# Models of the customer portal are added here.
