# Models of the collections workspace are added here.
