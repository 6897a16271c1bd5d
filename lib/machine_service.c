_Static_assert(1, "placeholder until written");
